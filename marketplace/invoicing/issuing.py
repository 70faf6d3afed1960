"""Issuing a part's invoice (or the adjusting invoice a refund after issue makes due)
through a provider connector, retrying without a duplicate."""
from __future__ import annotations

from flask_babel import gettext

import logging
import time
import uuid
from typing import Callable

from ..errors import Conflict
from ..orders.models import OrderPart
from .connectors.base import Connector, Issued, Unavailable
from .models import PartInvoice
from .requests import request_for
from .services import adjustment_data, invoice_data, invoice_of, record_adjustment, record_issue

log = logging.getLogger(__name__)


def transaction_uuid(part: OrderPart) -> str:
    """The part's key at the provider: the same for every attempt, so it issues once."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ocop-marketplace/order-part/{part.id}"))


def adjustment_uuid(part: OrderPart) -> str:
    """The key of the part's adjusting invoice: its own (not the original's), fixed for the part."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ocop-marketplace/order-part/{part.id}/adjustment"))


def _send(part: OrderPart, connector: Connector, key: str, send: Callable[[], Issued], attempts: int,
          pause: float) -> Issued:
    """Send once; on Unavailable ask the provider whether the key went through before sending
    it again, at most `attempts` times. Rejected propagates at once."""
    for attempt in range(1, attempts + 1):
        try:
            issued = connector.find(key) if attempt > 1 else None
            return issued if issued is not None else send()
        except Unavailable as exc:
            log.warning("invoice of part %s: %s (attempt %d of %d)", part.id, exc.message, attempt, attempts)
            if attempt == attempts:
                raise
            time.sleep(pause * attempt)
    raise AssertionError("attempts must be at least 1")


def _fields(issued: Issued) -> dict:
    return {"series": issued.series, "number": issued.number, "lookup_code": issued.lookup_code,
            "issued_on": issued.issued_on, "template_code": issued.template_code}


def issue_with(part: OrderPart, connector: Connector, attempts: int = 3, pause: float = 1.0) -> PartInvoice:
    """Issue and record the part's invoice. Rejected propagates at once; Unavailable after
    `attempts` tries, each retry first asking the provider whether the last one went through."""
    if invoice_of(part.id) is not None:
        raise Conflict(gettext("This part's invoice is already recorded"),
                       code="invoice_already_recorded")
    key = transaction_uuid(part)
    data = invoice_data(part, request_for(part.order_id))
    issued = _send(part, connector, key, lambda: connector.issue(data, key), attempts, pause)
    return record_issue(part, _fields(issued), source=connector.name, transaction_uuid=key)


def adjust_with(part: OrderPart, connector: Connector, attempts: int = 3, pause: float = 1.0) -> PartInvoice:
    """Issue and record the adjusting invoice of a refund after issue, referring to the part's
    invoice whoever issued it (409 `no_adjustment_due` when none is due); retried as `issue_with`."""
    data = adjustment_data(part)  # Conflict when no adjustment is due
    key = adjustment_uuid(part)
    issued = _send(part, connector, key, lambda: connector.adjust(data, key), attempts, pause)
    return record_adjustment(part, _fields(issued))
