"""Issuing a part's invoice through a provider connector, retrying without a duplicate."""
from __future__ import annotations

from flask_babel import gettext

import logging
import time
import uuid

from ..errors import Conflict
from ..orders.models import OrderPart
from .connectors.base import Connector, Rejected, Unavailable
from .models import PartInvoice
from .requests import request_for
from .services import invoice_data, invoice_of, record_issue

log = logging.getLogger(__name__)


def transaction_uuid(part: OrderPart) -> str:
    """The part's key at the provider: the same for every attempt, so it issues once."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ocop-marketplace/order-part/{part.id}"))


def issue_with(part: OrderPart, connector: Connector, attempts: int = 3, pause: float = 1.0) -> PartInvoice:
    """Issue and record the part's invoice. Rejected propagates at once; Unavailable after
    `attempts` tries, each retry first asking the provider whether the last one went through."""
    if invoice_of(part.id) is not None:
        raise Conflict(gettext("This part's invoice is already recorded"),
                       code="invoice_already_recorded")
    key = transaction_uuid(part)
    data = invoice_data(part, request_for(part.order_id))
    issued = None
    for attempt in range(1, attempts + 1):
        try:
            issued = connector.find(key) if attempt > 1 else None
            if issued is None:
                issued = connector.issue(data, key)
            break
        except Unavailable as exc:
            log.warning("invoice of part %s: %s (attempt %d of %d)", part.id, exc.message, attempt, attempts)
            if attempt == attempts:
                raise
            time.sleep(pause * attempt)
        except Rejected:
            raise
    return record_issue(part, {"series": issued.series, "number": issued.number, "lookup_code": issued.lookup_code,
                               "issued_on": issued.issued_on}, source=connector.name, transaction_uuid=key)
