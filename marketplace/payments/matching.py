"""Bank transfers: matching a transfer to the order it pays, and the reconciliation queue
where an admin settles what could not be matched (books it to an order, or records that
it was paid back)."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from .. import audit
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..money import format_vnd
from ..orders.access import lock_order, lock_order_by_code
from ..orders.models import Order
from ..timeutil import utcnow
from . import ledger
from .ledger import PAID_ORDER_STATUSES
from .models import OPEN_TRANSFER_STATUSES, BankTransfer, LedgerEntry, ProviderEvent
from .vietqr import MIN_REFERENCE_LENGTH, compact

# How far back a transfer may name an order that is no longer waiting (to flag late or double payments).
LATE_MATCH_DAYS = 45
# A bank's clock may run a little ahead of ours; a transfer further in the future than this
# cannot have happened yet, so it is held for an admin instead of paying anything. The same
# tolerance applies the other way: a transfer dated before its order existed is held as well.
FUTURE_TOLERANCE = timedelta(minutes=10)
# VietQR's amount field holds at most 13 digits: a larger amount cannot be a payment to us
# (and would not fit the ledger). It is kept for an admin, unbooked, and acknowledged, so the
# provider does not deliver it again forever.
MAX_TRANSFER_VND = 10**13 - 1
# Statuses an admin still has to look at.
QUEUE_STATUSES = OPEN_TRANSFER_STATUSES + ("overpaid",)


def apply_transfer(n, event: ProviderEvent, method: str) -> str:
    """Book one incoming bank transfer (a BankNotice) to the order its description names, in the
    caller's transaction; the outcome's name (the transfer's status, or why it was ignored)."""
    if not n.incoming:
        return "ignored_outgoing"
    if n.account_no != current_app.config["VIETQR_ACCOUNT_NO"]:
        event.note = f"account {n.account_no} is not the marketplace's receiving account"
        return "ignored_other_account"
    out_of_range = n.amount_vnd > MAX_TRANSFER_VND
    transfer = BankTransfer(provider=n.provider, provider_txn_id=n.txn_id, event_id=event.id, bank=n.bank[:80],
                            account_no=n.account_no, amount_vnd=0 if out_of_range else n.amount_vnd,
                            description=n.description, bank_reference=n.bank_reference[:80],
                            transacted_at=n.transacted_at, status="unmatched")
    db.session.add(transfer)
    db.session.flush()
    if out_of_range:
        transfer.note = event.note = f"reported amount {n.amount_vnd} VND cannot be a payment; not booked"
        return "amount_out_of_range"
    order = _order_for_description(n.description)
    payment = dict(kind="payment", method=method, amount_vnd=n.amount_vnd, provider_ref=f"{n.provider}:{n.txn_id}",
                   occurred_at=n.transacted_at, event_id=event.id, bank_transfer_id=transfer.id)
    if order is None:
        ledger.book(order_id=None, note="no order reference in the description", **payment)
        transfer.note = "no order reference found in the description"
        return "unmatched"
    event.order_id = order.id
    transfer.order_id = order.id
    if n.transacted_at > utcnow() + FUTURE_TOLERANCE:
        # Held, not applied: an admin who trusts it assigns it to the order.
        ledger.book(order_id=None, note="bank time in the future", **payment)
        transfer.note = f"held: the bank's time {n.transacted_at.isoformat()} is in the future"
        return "held_future_time"
    if n.transacted_at < order.created_at - FUTURE_TOLERANCE:
        # A payment cannot precede the order whose reference it quotes: held for an admin too.
        ledger.book(order_id=None, note="bank time before the order existed", **payment)
        transfer.note = (f"held: the bank's time {n.transacted_at.isoformat()} is before order {order.code} "
                         f"existed ({order.created_at.isoformat()})")
        return "held_before_order"
    if order.status not in ("pending_payment",) + PAID_ORDER_STATUSES:
        # Money for an order that expired or was cancelled: an admin gives it back.
        ledger.book(order_id=None, note=f"order {order.code} is {order.status}", **payment)
        transfer.note = f"order {order.code} is {order.status}"
        return "unmatched"
    ledger.book(order_id=order.id, **payment)
    was_paid = order.status in PAID_ORDER_STATUSES
    ledger.settle(order, n.transacted_at, n.provider, _("bank transfer received"))
    paid, _refunded = ledger.sums(order.id)
    if order.status not in PAID_ORDER_STATUSES:
        transfer.status = "partial"
        transfer.note = f"{format_vnd(paid)} of {format_vnd(order.total_vnd)} received"
    elif was_paid or paid > order.total_vnd:
        transfer.status = "overpaid"
        transfer.note = f"{format_vnd(paid - order.total_vnd)} more than the order total"
    else:
        transfer.status = "matched"
    _close_partials(order)
    return transfer.status


def _close_partials(order: Order) -> None:
    """Once an order is paid, the partial transfers that added up to it need no more attention."""
    if order.status not in PAID_ORDER_STATUSES:
        return
    db.session.execute(sa.update(BankTransfer).where(BankTransfer.order_id == order.id,
                                                     BankTransfer.status == "partial")
                       .values(status="matched", updated_at=utcnow()))


def _order_for_description(description: str) -> Order | None:
    """The order whose payment reference appears in a transfer description, compared as upper-case
    letters and digits only (banks drop spaces and punctuation, change case), locked. Orders
    waiting for payment come first; otherwise a recent order is returned so a late or double
    payment is flagged against it."""
    text = compact(description)
    if len(text) < MIN_REFERENCE_LENGTH:
        return None
    named = sa.literal(text).contains(Order.payment_reference)
    waiting = sa.select(Order.id).where(Order.status == "pending_payment", named).order_by(Order.id)
    order_id = db.session.execute(waiting).scalars().first()
    if order_id is None:
        since = utcnow() - timedelta(days=LATE_MATCH_DAYS)
        recent = (sa.select(Order.id).where(Order.status.in_(("paid", "completed", "refunded", "expired", "cancelled")),
                                            Order.payment_due_at >= since, named).order_by(Order.id.desc()))
        order_id = db.session.execute(recent).scalars().first()
    # Locked after it was chosen: whatever another transaction did to it meanwhile (paid it with
    # the same reference) is read back before this transfer is booked.
    return lock_order(order_id) if order_id is not None else None


# ---- the reconciliation queue (admin) -----------------------------------------------------------

def open_transfers(page: int = 1, per_page: int = 50) -> tuple[list[BankTransfer], int]:
    base = sa.select(BankTransfer).where(BankTransfer.status.in_(QUEUE_STATUSES))
    total = db.session.execute(sa.select(sa.func.count()).select_from(base.subquery())).scalar_one()
    items = db.session.execute(base.options(sa.orm.joinedload(BankTransfer.order).lazyload(Order.parts))
                               .order_by(BankTransfer.transacted_at.desc(), BankTransfer.id.desc())
                               .limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return items, total


def _transfer_for_update(transfer_id: int) -> BankTransfer:
    transfer = db.session.execute(sa.select(BankTransfer).where(BankTransfer.id == transfer_id).with_for_update()
                                  .execution_options(populate_existing=True)).scalar_one_or_none()
    if transfer is None:
        raise NotFound(_("Transfer not found."))
    if transfer.status not in QUEUE_STATUSES:
        raise Conflict(_("This transfer has already been reconciled."), code="already_reconciled")
    return transfer


def _transfer_state(transfer: BankTransfer) -> dict:
    return {"status": transfer.status, "order_id": transfer.order_id, "amount_vnd": transfer.amount_vnd}


def _resolved(transfer: BankTransfer, status: str, actor, note: str) -> None:
    transfer.status = status
    transfer.resolved_by_id = getattr(actor, "id", None)
    transfer.resolved_at = utcnow()
    transfer.note = note or transfer.note


def assign_transfer(transfer_id: int, order_code: str, actor, note: str = "") -> BankTransfer:
    """An admin books an unmatched or partial transfer to an order waiting for payment; commits."""
    transfer = _transfer_for_update(transfer_id)
    if transfer.status == "overpaid":
        raise Conflict(_("An overpaid transfer can only be refunded."), code="invalid_reconciliation")
    if transfer.amount_vnd <= 0:
        raise Conflict(_("This transfer's amount cannot be booked; record it as refunded once settled."),
                       code="invalid_reconciliation")
    order = lock_order_by_code(order_code)
    if order is None:
        raise ValidationFailed(_("No order with this code."), fields={"order_code": [_("No order with this code.")]})
    if order.status != "pending_payment":
        raise ValidationFailed(_("Only an order waiting for payment can take this transfer."),
                               fields={"order_code": [_("This order is %(status)s.", status=order.status)]})
    before = _transfer_state(transfer)
    entry = db.session.execute(sa.select(LedgerEntry).where(LedgerEntry.bank_transfer_id == transfer.id,
                                                            LedgerEntry.kind == "payment")).scalar_one()
    entry.order_id = order.id
    entry.note = f"assigned by an admin: {note}".strip()
    transfer.order_id = order.id
    _resolved(transfer, "assigned", actor, note)
    db.session.flush()
    ledger.settle(order, transfer.transacted_at, "admin", _("bank transfer assigned by an admin"))
    _close_partials(order)
    audit.record(actor, "payments.transfer_assigned", "bank_transfer", transfer.id, before,
                 _transfer_state(transfer) | {"order_code": order.code}, note)
    db.session.commit()
    return transfer


def mark_transfer_refunded(transfer_id: int, actor, note: str = "") -> BankTransfer:
    """An admin records that an unmatched, partial or overpaid transfer was paid back outside the system."""
    transfer = _transfer_for_update(transfer_id)
    before = _transfer_state(transfer)
    order_id = transfer.order_id if transfer.status in ("partial", "overpaid") else None
    if transfer.status == "overpaid":
        paid, refunded = ledger.sums(transfer.order_id)
        order = db.session.get(Order, transfer.order_id)
        amount = min(transfer.amount_vnd, paid - refunded - order.total_vnd)
    else:
        amount = transfer.amount_vnd
    if amount > 0:
        ledger.book(order_id=order_id, kind="refund", method="manual", amount_vnd=amount,
                    provider_ref=f"transfer-refund:{transfer.id}", occurred_at=utcnow(), bank_transfer_id=transfer.id,
                    note=note or "paid back outside the system")
    _resolved(transfer, "refunded_outside", actor, note)
    audit.record(actor, "payments.transfer_refunded_outside", "bank_transfer", transfer.id, before,
                 _transfer_state(transfer) | {"refunded_vnd": amount}, note)
    db.session.commit()
    return transfer
