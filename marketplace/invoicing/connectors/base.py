"""The one interface every e-invoice provider connector implements.

`issue(data, transaction_uuid)` asks the provider to issue (sign with the producer's own
certificate, send to the tax authority) the invoice of `data`, under a key the caller
keeps for the part: sending the same key again must never issue a second invoice. It
returns an `Issued`, or raises `Rejected` (the provider refused the data: do not retry)
or `Unavailable` (timeout, 5xx, connection: safe to retry with the same key, after
asking `find` whether the first call went through).

`adjust(data, transaction_uuid)` does the same for an adjusting invoice: `data.related`
names the original invoice (its template, series, number and date, whoever issued it:
the connector or the producer by hand; its provider template code when recorded, else the
connector's own is the best guess), `data.sign` says whether it increases (1) or
decreases (-1) it, and `data.related.note` is the reason printed on it. Its key is not the
original's: it is the adjustment's own, fixed for the part, so a retry never adjusts twice.

`check()` signs in and makes sure the configured template and series can be used; a
refused sign-in is `Rejected` with code "login", a refused lookup another `Rejected`, a template or series the provider does not know is
`NotRegistered` (a `Rejected` that says what the provider does know).
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
    template_code: str | None = None  # the provider's template it was issued under ("1/001")


class ConnectorError(Exception):
    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.message, self.code = message, code


class Rejected(ConnectorError):
    """The provider refused the invoice (bad data, series not registered …)."""


class Unavailable(ConnectorError):
    """The provider did not answer in time or failed: retrying with the same key is safe."""


class NotRegistered(Rejected):
    """The provider has no such template, or no such series under it. `known` lists the
    (template, series) pairs it does have for the supplier, for the producer to pick from."""

    def __init__(self, template: str, series: str, known: list[tuple[str, str]], template_known: bool):
        what = "series" if template_known else "template"
        super().__init__(f"{what} not registered: {template} {series}", code=f"{what}_unknown")
        self.template, self.series, self.known, self.template_known = template, series, known, template_known


class Connector(Protocol):
    name: str

    def issue(self, data: InvoiceData, transaction_uuid: str) -> Issued: ...

    def adjust(self, data: InvoiceData, transaction_uuid: str) -> Issued:
        """Issue the adjusting invoice of `data.related` (see the module's docstring)."""

    def find(self, transaction_uuid: str) -> Issued | None:
        """The invoice issued under this key, if any (asked before sending a key again)."""

    def check(self) -> None:
        """Sign in to the provider and look the configured template and series up: Rejected
        when it refuses the credentials, NotRegistered when it does not know the template or
        series, Unavailable when it cannot be reached (the producer's "test connection")."""
