"""Paying an order: checking a method can carry it, starting a payment, how to pay and what was
paid (API.md's Payment object), and receiving a provider's notification. No request objects.

The rest of the domain is split by job: `ledger` (money booked, payment status derived),
`matching` (bank transfer -> order, reconciliation), `refunds`, and one module per provider
in `providers/` behind the one interface of `gateway`.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..links import absolute_url
from ..orders.access import access_token  # noqa: F401 (callers read the token here)
from ..orders.models import Order
from ..timeutil import isoformat_local, utcnow
from . import ledger
from .gateway import PaymentProviderError
from .models import PaymentAttempt
from .paths import payment_page_path  # noqa: F401 (part of this module's interface)
from .providers import get_gateway
from .vietqr import MIN_REFERENCE_LENGTH, new_reference

log = logging.getLogger(__name__)


def _page_url(order: Order) -> str:
    return absolute_url(payment_page_path(order))


# ---- references and starting a payment --------------------------------------------------------

def new_payment_reference() -> str:
    """A payment reference not used by any order yet (short, upper-case alphanumeric)."""
    for _attempt in range(20):
        reference = new_reference()
        if not db.session.execute(sa.select(Order.id).where(Order.payment_reference == reference)).first():
            return reference
    raise RuntimeError("could not find a free payment reference")


def order_by_reference(reference: str) -> Order | None:
    reference = (reference or "").strip().upper()
    if len(reference) < MIN_REFERENCE_LENGTH or "\x00" in reference:
        return None
    return db.session.execute(sa.select(Order).where(Order.payment_reference == reference)).scalar_one_or_none()


def check_payable(method: str, amount_vnd: int) -> None:
    """Raise ValidationFailed when `method` is not offered here or cannot carry `amount_vnd`
    (checkout calls this before creating the order)."""
    gateway = get_gateway(method)
    if not gateway.available():
        message = _("Card payment is not available right now. Please pay by bank transfer.")
        raise ValidationFailed(message, code="payment_method_unavailable", fields={"payment_method": [message]})
    gateway.check_amount(amount_vnd)


def start_payment(order: Order) -> dict:
    """Begin paying `order` with its chosen method; returns API.md's Payment object; commits.

    Starting again while an earlier attempt is still open returns that attempt. When the
    provider cannot be reached the order stays as it is: the Payment object then has no
    `checkout_url` but an `error`, and the payment page (`page_url`) lets the shopper retry.
    """
    gateway = get_gateway(order.payment_method)
    check_payable(order.payment_method, order.total_vnd)
    if order.status != "pending_payment" or order.payment_due_at <= utcnow():
        raise Conflict(_("This order is not waiting for payment."), code="not_payable")
    attempt = ledger.open_attempt(order)
    if attempt is None:
        attempt = PaymentAttempt(order_id=order.id, method=gateway.method, amount_vnd=order.total_vnd,
                                 currency="VND", status="pending")
        db.session.add(attempt)
        db.session.flush()
        try:
            gateway.start(order, attempt)
        except PaymentProviderError as exc:
            log.warning("could not start a %s payment for %s: %s", gateway.method, order.code, exc.__cause__)
            attempt.status, attempt.note = "failed", exc.message
            db.session.commit()
            return _payment_object(order, {"error": {"code": exc.code, "message": exc.message}})
    payment = _payment_object(order, gateway.describe(order, attempt))
    db.session.commit()
    return payment


def new_offline_attempt(order: Order) -> PaymentAttempt | None:
    """For the transaction that creates `order`: its payment attempt (not yet added to the
    session), when its method needs no call to a provider (VietQR), so the order and how
    to pay it commit together. None for a method that must call its provider (Stripe):
    `start_payment` does that after the commit, never while stock rows are locked."""
    gateway = get_gateway(order.payment_method)
    if not gateway.offline:
        return None
    now = utcnow()
    attempt = PaymentAttempt(order=order, method=gateway.method, status="pending", amount_vnd=order.total_vnd,
                             currency="VND", provider_payment_id=None, checkout_url=None, note="",
                             created_at=now, updated_at=now)
    gateway.start(order, attempt)
    return attempt


def describe_attempt(order: Order, attempt: PaymentAttempt) -> dict:
    """The Payment object of an attempt already started (no database access)."""
    return _payment_object(order, get_gateway(attempt.method).describe(order, attempt))


def _payment_object(order: Order, details: dict) -> dict:
    return {"method": order.payment_method, "status": order.payment_status, "amount_vnd": order.total_vnd,
            "page_url": _page_url(order)} | details


def payment_info(order: Order) -> dict:
    """The Payment object for an order page or the API: how to pay (while unpaid), status, receipts."""
    info = {"method": order.payment_method, "status": order.payment_status, "order_status": order.status,
            "amount_vnd": order.total_vnd, "paid_vnd": 0, "refunded_vnd": 0,
            "paid_at": isoformat_local(order.paid_at), "due_at": isoformat_local(order.payment_due_at),
            "page_url": _page_url(order)}
    entries = ledger.ledger_for(order)
    info["paid_vnd"] = sum(e.amount_vnd for e in entries if e.kind == "payment")
    info["refunded_vnd"] = sum(e.amount_vnd for e in entries if e.kind == "refund")
    info["receipts"] = [{"kind": e.kind, "method": e.method, "amount_vnd": e.amount_vnd,
                         "at": isoformat_local(e.occurred_at), "reference": e.provider_ref} for e in entries]
    if order.status == "pending_payment":
        gateway = get_gateway(order.payment_method)
        # An offline method's instructions follow from the order alone; another's from its open attempt.
        attempt = None if gateway.offline else ledger.open_attempt(order)
        if gateway.offline or attempt is not None:
            info.update(gateway.describe(order, attempt))
    return info


# ---- notifications ---------------------------------------------------------------------------

def receive(method: str, provider: str, event_id: str, event_type: str, payload, notice) -> str:
    """Apply one authenticated notification of `provider` to the gateway of `method`; commits.

    The provider's event id is recorded first under a unique constraint: a repeat is
    acknowledged (`duplicate`) and changes nothing. Returns the outcome recorded."""
    recorded = ledger.record_event(provider, event_id, event_type, payload)
    if recorded is None:
        db.session.rollback()
        return "duplicate"
    outcome = get_gateway(method).handle_event(notice, recorded)
    recorded.outcome = outcome
    db.session.commit()
    return outcome
