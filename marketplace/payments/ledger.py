"""The ledger: every movement of money is a `LedgerEntry`, and an order's payment status is
derived from it here, and only here.

An order is paid when the payments booked to it reach its total. Provider notifications
are recorded under a unique (provider, event id) before anything else, so a repeated
delivery changes nothing.
"""
from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..money import format_vnd
from ..orders.events import order_paid
from ..orders.models import Order
from ..orders.services import mark_order_paid
from ..orders.status import apply_part_transition
from ..timeutil import utcnow
from . import notify
from .models import LedgerEntry, PaymentAttempt, ProviderEvent, Refund

PAID_ORDER_STATUSES = ("paid", "completed", "refunded")


def ledger_for(order: Order) -> list[LedgerEntry]:
    return db.session.execute(sa.select(LedgerEntry).where(LedgerEntry.order_id == order.id)
                              .order_by(LedgerEntry.occurred_at, LedgerEntry.id)).scalars().all()


def sums(order_id: int) -> tuple[int, int]:
    """(paid, refunded) booked to an order."""
    row = db.session.execute(sa.select(
        sa.func.coalesce(sa.func.sum(sa.case((LedgerEntry.kind == "payment", LedgerEntry.amount_vnd), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((LedgerEntry.kind == "refund", LedgerEntry.amount_vnd), else_=0)), 0),
    ).where(LedgerEntry.order_id == order_id)).one()
    return int(row[0]), int(row[1])


def book(**fields) -> LedgerEntry:
    entry = LedgerEntry(currency="VND", created_at=utcnow(), **fields)
    db.session.add(entry)
    db.session.flush()
    return entry


def first_payment(order: Order, method: str) -> LedgerEntry | None:
    """The first payment booked to `order` through `method` (what a refund gives back from)."""
    return db.session.execute(sa.select(LedgerEntry).where(
        LedgerEntry.order_id == order.id, LedgerEntry.kind == "payment", LedgerEntry.method == method)
        .order_by(LedgerEntry.id)).scalars().first()


def refresh_payment_status(order: Order) -> str:
    """Derive `order.payment_status` from the order's status and the ledger: the one writer."""
    paid, refunded = sums(order.id)
    if order.status not in PAID_ORDER_STATUSES and order.paid_at is None:
        status = "unpaid"
    elif refunded and refunded >= paid:
        status = "refunded"
    elif refunded:
        status = "partially_refunded"
    else:
        status = "paid"
    order.payment_status = status
    return status


@order_paid.connect
def _on_order_paid(order: Order, **_kwargs) -> None:
    refresh_payment_status(order)


def record_event(provider: str, event_id: str, event_type: str, payload) -> ProviderEvent | None:
    """Insert the provider's event id; None when it was seen before (the caller acknowledges and stops)."""
    event = ProviderEvent(provider=provider, event_id=event_id, event_type=event_type, received_at=utcnow(),
                          payload=payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False,
                                                                                      default=str))
    try:
        with db.session.begin_nested():
            db.session.add(event)
    except IntegrityError:
        return None
    return event


def settle(order: Order, paid_at: datetime, actor: str, note: str) -> bool:
    """Mark `order` paid when its booked payments reach the total (the orders domain moves it,
    in this transaction; the shopper's receipt is `notify.payment_received`). True if it
    became paid."""
    paid, _refunded = sums(order.id)
    if order.status == "pending_payment" and paid >= order.total_vnd:
        mark_order_paid(order, paid_at, actor, note, commit=False, notify_shopper=False)
        for attempt in db.session.execute(sa.select(PaymentAttempt).where(
                PaymentAttempt.order_id == order.id, PaymentAttempt.status == "pending")).scalars():
            attempt.status = "succeeded" if attempt.method == order.payment_method else "expired"
        notify.payment_received(order, paid)
        return True  # the payment status followed through `order_paid`
    refresh_payment_status(order)
    return False


def refund_succeeded(refund: Refund, refunded_at: datetime, note: str = "") -> None:
    """Book a refund that has reached the shopper; a cancelled part becomes refunded."""
    refund.status = "succeeded"
    refund.refunded_at = refunded_at
    book(order_id=refund.order_id, kind="refund", method=refund.method, amount_vnd=refund.amount_vnd,
         provider_ref=refund.provider_ref or f"refund:{refund.id}", occurred_at=refunded_at, refund_id=refund.id,
         note=note or refund.reason)
    part = refund.part
    if part is not None and part.status == "cancelled":
        apply_part_transition(part, "refunded", "system", _("refund of %(amount)s", amount=format_vnd(refund.amount_vnd)))
    notify.refund_sent(refund)


def apply_provider_refund(refund: Refund, result, note: str = "") -> None:
    """The provider holds this refund (a GatewayResult): succeeded -> booked; otherwise `due`
    until the provider (or an admin) says it is done."""
    refund.provider_ref = result.provider_ref
    refund.status = "due"
    if result.succeeded:
        refund_succeeded(refund, result.occurred_at or utcnow(), note=note)


def open_attempt(order: Order) -> PaymentAttempt | None:
    """The order's latest attempt with its method that is still open (pending, not expired)."""
    now = utcnow()
    attempts = db.session.execute(
        sa.select(PaymentAttempt).where(PaymentAttempt.order_id == order.id, PaymentAttempt.status == "pending",
                                        PaymentAttempt.method == order.payment_method)
        .order_by(PaymentAttempt.id.desc())).scalars().all()
    for attempt in attempts:
        if attempt.expires_at is None or attempt.expires_at > now:
            return attempt
    return None
