"""The one interface every e-invoice provider connector implements.

`issue(data, transaction_uuid)` asks the provider to issue (sign with the producer's own
certificate, send to the tax authority) the invoice of `data`, under a key the caller
keeps for the part: sending the same key again must never issue a second invoice. It
returns an `Issued`, or raises `Rejected` (the provider refused the data: do not retry)
or `Unavailable` (timeout, 5xx, connection: safe to retry with the same key, after
asking `find` whether the first call went through).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from ..xmldoc import InvoiceData


@dataclass(frozen=True)
class Issued:
    series: str
    number: str
    lookup_code: str
    issued_on: date


class ConnectorError(Exception):
    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.message, self.code = message, code


class Rejected(ConnectorError):
    """The provider refused the invoice (bad data, series not registered …)."""


class Unavailable(ConnectorError):
    """The provider did not answer in time or failed: retrying with the same key is safe."""


class Connector(Protocol):
    name: str

    def issue(self, data: InvoiceData, transaction_uuid: str) -> Issued: ...

    def find(self, transaction_uuid: str) -> Issued | None:
        """The invoice issued under this key, if any (asked before sending a key again)."""

    def check(self) -> None:
        """Sign in to the provider; Rejected when it refuses the credentials, Unavailable
        when it cannot be reached (the producer's "test connection")."""
