"""Refunds: the money for cancelled parts goes back through the order's gateway; a refund the
provider could not make is retried (and adopted, never repeated, when the provider holds
it after all); a refund paid back by hand waits for an admin to mark it paid."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import audit
from ..errors import Conflict, NotFound
from ..extensions import db
from ..orders.events import paid_parts_cancelled
from ..orders.models import Order, OrderPart
from ..timeutil import utcnow
from . import ledger
from .gateway import PaymentProviderError
from .models import Refund
from .providers import get_gateway

log = logging.getLogger(__name__)


def refund_part(part: OrderPart, actor=None, reason: str = "") -> Refund | None:
    """Give back a cancelled part's amount (its lines and its shipping). Runs in the caller's
    transaction. The order's gateway gives it back: a card payment at once (idempotent), a
    bank transfer becomes a refund `due` that an admin marks as paid back. If the provider
    cannot be reached or refuses, the refund stays recorded as `failed` (nothing booked, the
    sale still counts) for `flask payments retry-refunds`. Calling it again for the same
    part returns the same refund, whatever its status. None when nothing was paid."""
    order = part.order
    existing = db.session.execute(sa.select(Refund).where(Refund.part_id == part.id).order_by(Refund.id)
                                  ).scalars().first()
    if existing is not None:
        return existing
    paid, refunded = ledger.sums(order.id)
    if order.paid_at is None or paid <= refunded:
        return None
    amount = min(part.total_vnd, paid - refunded)
    refund = Refund(order_id=order.id, part_id=part.id, amount_vnd=amount, method=order.payment_method, status="due",
                    reason=reason or "", created_by_id=getattr(actor, "id", None))
    db.session.add(refund)
    db.session.flush()
    gateway = get_gateway(refund.method)
    payment = ledger.first_payment(order, refund.method)
    try:
        result = gateway.refund(refund, payment.provider_ref if payment else None, key=f"refund-part-{part.id}")
    except PaymentProviderError as exc:
        refund.status = "failed"
        # Why it failed goes to the audit log (the refund has no column for it), for the finance desk.
        audit.record(actor, "payments.refund_failed", "refund", refund.id, None,
                     {"status": "failed", "amount_vnd": amount, "order": order.code}, exc.message)
        log.warning("refund %s of order %s failed (%s); `flask payments retry-refunds` tries again",
                    refund.id, order.code, exc.message)
    else:
        ledger.apply_provider_refund(refund, result, reason)
    ledger.refresh_payment_status(order)
    return refund


@paid_parts_cancelled.connect
def _refund_cancelled_parts(order_id: int, part_ids: list[int], actor=None, reason: str = "", **_kwargs) -> None:
    """Each cancelled part is refunded in its own transaction, after the cancellation committed
    (a provider outage never undoes a cancellation; a repeat for the same part is a no-op)."""
    for part_id in part_ids:
        part = db.session.get(OrderPart, part_id)
        try:
            refund_part(part, actor, reason)
            db.session.commit()
        except PaymentProviderError:
            db.session.rollback()
            log.warning("refund of part %s of order %s failed; an admin retries it", part_id, order_id)


def failed_refunds() -> list[Refund]:
    return db.session.execute(sa.select(Refund).where(Refund.status == "failed").order_by(Refund.id)).scalars().all()


def _refund_for_update(refund_id: int) -> Refund | None:
    return db.session.execute(sa.select(Refund).where(Refund.id == refund_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def retry_refund(refund_id: int) -> tuple[str, str]:
    """Try a failed refund again; commits. Returns what happened and a detail:
    `adopted` (the provider already holds it: the answer was lost, so it is booked, not
    repeated), `refunded`, `pending` (accepted, not final yet), `failed` (still failing; the
    provider's reason is returned and recorded in the audit log), `skipped` (no longer
    failed, or one paid back by hand)."""
    refund = _refund_for_update(refund_id)
    gateway = get_gateway(refund.method) if refund is not None else None
    if refund is None or refund.status != "failed" or gateway.pays_back_by_hand:
        db.session.rollback()
        return "skipped", _("not a failed card refund")
    order = db.session.get(Order, refund.order_id)
    payment = ledger.first_payment(order, refund.method)
    if payment is None:
        db.session.rollback()
        return "skipped", _("no card payment to refund")
    try:
        held = gateway.find_refund(refund, payment.provider_ref)
        if held is not None:
            ledger.apply_provider_refund(refund, held, refund.reason)
            outcome = "adopted"
        else:
            # The provider holds nothing for this refund: a new idempotency key, since Stripe
            # replays the stored error of the old one.
            result = gateway.refund(refund, payment.provider_ref,
                                    key=f"refund-{refund.id}-retry-{int(utcnow().timestamp())}")
            ledger.apply_provider_refund(refund, result, refund.reason)
            outcome = "refunded" if result.succeeded else "pending"
    except PaymentProviderError as exc:
        db.session.rollback()
        log.warning("refund %s still failing: %s", refund_id, exc.message)
        audit.record("system", "payments.refund_failed", "refund", refund_id, None, {"status": "failed"}, exc.message)
        db.session.commit()
        return "failed", exc.message
    ledger.refresh_payment_status(order)
    audit.record("system", "payments.refund_retried", "refund", refund.id, {"status": "failed"},
                 {"status": refund.status, "outcome": outcome, "provider_ref": refund.provider_ref})
    db.session.commit()
    return outcome, refund.provider_ref or ""


def due_refunds() -> list[Refund]:
    return db.session.execute(sa.select(Refund).where(Refund.status == "due")
                              .options(sa.orm.joinedload(Refund.order).lazyload(Order.parts))
                              .order_by(Refund.id)).scalars().all()


def to_pay_back_by_hand(refunds: list[Refund]) -> list[Refund]:
    """Those of `refunds` that a person pays back (by bank transfer), then marks paid."""
    return [refund for refund in refunds if get_gateway(refund.method).pays_back_by_hand]


def mark_refund_paid(refund_id: int, actor, note: str = "") -> Refund:
    """An admin records that a refund paid back by hand reached the shopper; commits."""
    refund = _refund_for_update(refund_id)
    if refund is None:
        raise NotFound(_("Refund not found."))
    if refund.status != "due":
        raise Conflict(_("This refund is not waiting to be paid back."), code="already_reconciled")
    ledger.refund_succeeded(refund, utcnow(), note=note)
    ledger.refresh_payment_status(db.session.get(Order, refund.order_id))
    audit.record(actor, "payments.refund_paid_back", "refund", refund.id, {"status": "due"},
                 {"status": refund.status, "amount_vnd": refund.amount_vnd}, note)
    db.session.commit()
    return refund
