"""Payment rules and transactions: starting payments, applying provider notifications,
refunds and reconciliation. No request objects here.

Every movement of money is a `LedgerEntry`; an order is paid when the payments booked
to it reach its total, and its `payment_status` is derived from the ledger. Provider
notifications are recorded under a unique (provider, event id) before anything else,
so a repeated delivery changes nothing.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..money import format_vnd
from ..orders.models import Order, OrderPart
from ..orders.services import expire_order, mark_order_paid
from ..timeutil import UTC, isoformat_local, to_local, utcnow
from . import notify
from .bank import BankNotification
from .gateways import GATEWAYS, PaymentProviderError, get_gateway
from .models import OPEN_TRANSFER_STATUSES, BankTransfer, LedgerEntry, PaymentAttempt, ProviderEvent, Refund
from .vietqr import MIN_REFERENCE_LENGTH, compact, new_reference

log = logging.getLogger(__name__)

PAID_ORDER_STATUSES = ("paid", "completed", "refunded")


# ---- orders interlock --------------------------------------------------------------------

def _mark_order_paid(order: Order, paid_at: datetime, actor: str, note: str) -> None:
    """The orders domain moves the order to paid (history, units sold, producers told) in this
    transaction; the shopper's receipt is `notify.payment_received`."""
    mark_order_paid(order, paid_at, actor, note, commit=False, notify_shopper=False)


def _expire_order(order: Order) -> None:
    """Expire an unpaid order and release its stock once, in this transaction."""
    expire_order(order, note="payment window closed", commit=False)


# ---- access for guests --------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="order-payment")


def access_token(order: Order) -> str:
    """A token that lets whoever holds it (a guest shopper) see this order's payment page and status."""
    return _serializer().dumps(order.code)


def token_allows(order: Order, token: str | None) -> bool:
    if not token:
        return False
    try:
        return _serializer().loads(token) == order.code
    except BadSignature:
        return False


def payment_page_path(order: Order) -> str:
    """The order's payment page (QR, status, receipts), with the guest access token."""
    return f"/payments/orders/{order.code}?t={access_token(order)}"


# ---- references and starting a payment --------------------------------------------------------

def new_payment_reference() -> str:
    """A payment reference not used by any order yet (short, upper-case alphanumeric)."""
    for _attempt in range(20):
        reference = new_reference()
        if not db.session.execute(sa.select(Order.id).where(Order.payment_reference == reference)).first():
            return reference
    raise RuntimeError("could not find a free payment reference")


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
    attempt = _open_attempt(order)
    if attempt is None:
        attempt = PaymentAttempt(order_id=order.id, method=gateway.method, amount_vnd=order.total_vnd,
                                 currency="VND", status="pending")
        db.session.add(attempt)
        db.session.flush()
        try:
            details = gateway.start(order, attempt)
        except PaymentProviderError as exc:
            log.warning("could not start a %s payment for %s: %s", gateway.method, order.code, exc.__cause__)
            attempt.status, attempt.note = "failed", exc.message
            db.session.commit()
            return _payment_object(order, gateway.method, {"error": {"code": exc.code, "message": exc.message}})
    else:
        details = gateway.describe(order, attempt)
    payment = _payment_object(order, gateway.method, details)
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
    gateway.prepare(order, attempt)
    return attempt


def describe_attempt(order: Order, attempt: PaymentAttempt) -> dict:
    """The Payment object of an attempt already started (no database access)."""
    gateway = get_gateway(attempt.method)
    return _payment_object(order, gateway.method, gateway.describe(order, attempt))


def _open_attempt(order: Order) -> PaymentAttempt | None:
    now = utcnow()
    attempts = db.session.execute(
        sa.select(PaymentAttempt).where(PaymentAttempt.order_id == order.id, PaymentAttempt.status == "pending",
                                        PaymentAttempt.method == order.payment_method)
        .order_by(PaymentAttempt.id.desc())).scalars().all()
    for attempt in attempts:
        if attempt.expires_at is None or attempt.expires_at > now:
            return attempt
    return None


def _payment_object(order: Order, method: str, details: dict) -> dict:
    base = {"method": method, "status": order.payment_status, "amount_vnd": order.total_vnd,
            "page_url": current_app.config["PUBLIC_BASE_URL"].rstrip("/") + payment_page_path(order)}
    if method == "vietqr" and "error" not in details:
        return base | {"vietqr": details}
    return base | details


def payment_info(order: Order) -> dict:
    """The Payment object for an order page or the API: how to pay (while unpaid), status, receipts."""
    info = {"method": order.payment_method, "status": order.payment_status, "order_status": order.status,
            "amount_vnd": order.total_vnd, "paid_vnd": 0, "refunded_vnd": 0,
            "paid_at": isoformat_local(order.paid_at), "due_at": isoformat_local(order.payment_due_at),
            "page_url": current_app.config["PUBLIC_BASE_URL"].rstrip("/") + payment_page_path(order)}
    entries = ledger_for(order)
    info["paid_vnd"] = sum(e.amount_vnd for e in entries if e.kind == "payment")
    info["refunded_vnd"] = sum(e.amount_vnd for e in entries if e.kind == "refund")
    info["receipts"] = [{"kind": e.kind, "method": e.method, "amount_vnd": e.amount_vnd,
                         "at": isoformat_local(e.occurred_at), "reference": e.provider_ref} for e in entries]
    if order.status == "pending_payment":
        gateway = GATEWAYS.get(order.payment_method)
        if order.payment_method == "vietqr":
            info["vietqr"] = gateway.describe(order, None)
        else:
            attempt = _open_attempt(order)
            if attempt is not None:
                info.update(gateway.describe(order, attempt))
    return info


# ---- the ledger ------------------------------------------------------------------------

def ledger_for(order: Order) -> list[LedgerEntry]:
    return db.session.execute(sa.select(LedgerEntry).where(LedgerEntry.order_id == order.id)
                              .order_by(LedgerEntry.occurred_at, LedgerEntry.id)).scalars().all()


def _ledger_sums(order_id: int) -> tuple[int, int]:
    row = db.session.execute(sa.select(
        sa.func.coalesce(sa.func.sum(sa.case((LedgerEntry.kind == "payment", LedgerEntry.amount_vnd), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((LedgerEntry.kind == "refund", LedgerEntry.amount_vnd), else_=0)), 0),
    ).where(LedgerEntry.order_id == order_id)).one()
    return int(row[0]), int(row[1])


def _book(**fields) -> LedgerEntry:
    entry = LedgerEntry(currency="VND", created_at=utcnow(), **fields)
    db.session.add(entry)
    db.session.flush()
    return entry


def refresh_payment_status(order: Order) -> str:
    """Derive `order.payment_status` from the ledger."""
    paid, refunded = _ledger_sums(order.id)
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


def _lock_order(**where) -> Order | None:
    stmt = sa.select(Order).filter_by(**where).with_for_update().execution_options(populate_existing=True)
    return db.session.execute(stmt).scalar_one_or_none()


def _record_event(provider: str, event_id: str, event_type: str, payload) -> ProviderEvent | None:
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


def _settle(order: Order, paid_at: datetime, actor: str, note: str) -> bool:
    """Mark `order` paid when its booked payments reach the total. Returns True if it became paid."""
    paid, _refunded = _ledger_sums(order.id)
    became_paid = False
    if order.status == "pending_payment" and paid >= order.total_vnd:
        _mark_order_paid(order, paid_at, actor, note)
        for attempt in db.session.execute(sa.select(PaymentAttempt).where(
                PaymentAttempt.order_id == order.id, PaymentAttempt.status == "pending")).scalars():
            attempt.status = "succeeded" if attempt.method == order.payment_method else "expired"
        notify.payment_received(order, paid)
        became_paid = True
    refresh_payment_status(order)
    return became_paid


# ---- bank transfers (SePay, Casso) ---------------------------------------------------------

def record_bank_notification(n: BankNotification) -> str:
    """Apply one bank-transfer notification; commits. Returns the outcome recorded."""
    event = _record_event(n.provider, n.txn_id, "transfer.in" if n.incoming else "transfer.out", n.raw)
    if event is None:
        db.session.rollback()
        return "duplicate"
    outcome = _apply_transfer(n, event)
    event.outcome = outcome
    db.session.commit()
    return outcome


def _apply_transfer(n: BankNotification, event: ProviderEvent) -> str:
    if not n.incoming:
        return "ignored_outgoing"
    if n.account_no != current_app.config["VIETQR_ACCOUNT_NO"]:
        event.note = f"account {n.account_no} is not the marketplace's receiving account"
        return "ignored_other_account"
    transfer = BankTransfer(provider=n.provider, provider_txn_id=n.txn_id, event_id=event.id, bank=n.bank[:80],
                            account_no=n.account_no, amount_vnd=n.amount_vnd, description=n.description,
                            bank_reference=n.bank_reference[:80], transacted_at=n.transacted_at, status="unmatched")
    db.session.add(transfer)
    db.session.flush()
    order = _order_for_description(n.description)
    ref = f"{n.provider}:{n.txn_id}"
    if order is None:
        _book(order_id=None, kind="payment", method="vietqr", amount_vnd=n.amount_vnd, provider_ref=ref,
              occurred_at=n.transacted_at, event_id=event.id, bank_transfer_id=transfer.id,
              note="no order reference in the description")
        transfer.note = "no order reference found in the description"
        return "unmatched"
    event.order_id = order.id
    transfer.order_id = order.id
    if order.status not in ("pending_payment",) + PAID_ORDER_STATUSES:
        # Money for an order that expired or was cancelled: an admin gives it back.
        _book(order_id=None, kind="payment", method="vietqr", amount_vnd=n.amount_vnd, provider_ref=ref,
              occurred_at=n.transacted_at, event_id=event.id, bank_transfer_id=transfer.id,
              note=f"order {order.code} is {order.status}")
        transfer.note = f"order {order.code} is {order.status}"
        return "unmatched"
    _book(order_id=order.id, kind="payment", method="vietqr", amount_vnd=n.amount_vnd, provider_ref=ref,
          occurred_at=n.transacted_at, event_id=event.id, bank_transfer_id=transfer.id)
    was_paid = order.status in PAID_ORDER_STATUSES
    _settle(order, n.transacted_at, n.provider, _("bank transfer received"))
    paid, _refunded = _ledger_sums(order.id)
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


# How far back a transfer may name an order that is no longer waiting (to flag late or double payments).
LATE_MATCH_DAYS = 45


def _order_for_description(description: str) -> Order | None:
    """The order whose payment reference appears in a transfer description, compared as upper-case
    letters and digits only (banks drop spaces and punctuation, change case). Orders waiting for
    payment come first; otherwise a recent order is returned so a late or double payment is
    flagged against it."""
    text = compact(description)
    if len(text) < MIN_REFERENCE_LENGTH:
        return None
    named = sa.literal(text).contains(Order.payment_reference)
    waiting = (sa.select(Order).where(Order.status == "pending_payment", named)
               .order_by(Order.id).with_for_update().execution_options(populate_existing=True))
    order = db.session.execute(waiting).scalars().first()
    if order is not None:
        return order
    since = utcnow() - timedelta(days=LATE_MATCH_DAYS)
    recent = (sa.select(Order).where(Order.status.in_(("paid", "completed", "refunded", "expired", "cancelled")),
                                     Order.payment_due_at >= since, named)
              .order_by(Order.id.desc()).with_for_update().execution_options(populate_existing=True))
    return db.session.execute(recent).scalars().first()


# ---- reconciliation (admin) -----------------------------------------------------------------

def open_transfers(page: int = 1, per_page: int = 50) -> tuple[list[BankTransfer], int]:
    base = sa.select(BankTransfer).where(BankTransfer.status.in_(OPEN_TRANSFER_STATUSES + ("overpaid",)))
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
    if transfer.status not in OPEN_TRANSFER_STATUSES + ("overpaid",):
        raise Conflict(_("This transfer has already been reconciled."), code="already_reconciled")
    return transfer


def _transfer_state(transfer: BankTransfer) -> dict:
    return {"status": transfer.status, "order_id": transfer.order_id, "amount_vnd": transfer.amount_vnd}


def assign_transfer(transfer_id: int, order_code: str, actor, note: str = "") -> BankTransfer:
    """An admin books an unmatched or partial transfer to an order waiting for payment; commits."""
    transfer = _transfer_for_update(transfer_id)
    if transfer.status == "overpaid":
        raise Conflict(_("An overpaid transfer can only be refunded."), code="invalid_reconciliation")
    order = _lock_order(code=(order_code or "").strip())
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
    transfer.status = "assigned"
    transfer.resolved_by_id = getattr(actor, "id", None)
    transfer.resolved_at = utcnow()
    transfer.note = note or transfer.note
    db.session.flush()
    _settle(order, transfer.transacted_at, "admin", _("bank transfer assigned by an admin"))
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
        paid, refunded = _ledger_sums(transfer.order_id)
        order = db.session.get(Order, transfer.order_id)
        amount = min(transfer.amount_vnd, paid - refunded - order.total_vnd)
    else:
        amount = transfer.amount_vnd
    if amount > 0:
        _book(order_id=order_id, kind="refund", method="manual", amount_vnd=amount,
              provider_ref=f"transfer-refund:{transfer.id}", occurred_at=utcnow(), bank_transfer_id=transfer.id,
              note=note or "paid back outside the system")
    transfer.status = "refunded_outside"
    transfer.resolved_by_id = getattr(actor, "id", None)
    transfer.resolved_at = utcnow()
    transfer.note = note or transfer.note
    audit.record(actor, "payments.transfer_refunded_outside", "bank_transfer", transfer.id, before,
                 _transfer_state(transfer) | {"refunded_vnd": amount}, note)
    db.session.commit()
    return transfer


# ---- refunds ------------------------------------------------------------------------------

def refund_part(part: OrderPart, actor=None, reason: str = "") -> Refund | None:
    """Give back a cancelled part's amount (its lines and its shipping). Runs in the caller's
    transaction. Card payments are refunded through Stripe at once (idempotent); a bank
    transfer becomes a refund `due` that an admin marks as paid back. If Stripe cannot be
    reached or refuses, the refund stays recorded as `failed` (nothing booked, the sale
    still counts) for `flask payments retry-refunds`. Calling it again for the same part
    returns the same refund, whatever its status. None when nothing was paid."""
    order = part.order
    existing = db.session.execute(sa.select(Refund).where(Refund.part_id == part.id).order_by(Refund.id)
                                  ).scalars().first()
    if existing is not None:
        return existing
    paid, refunded = _ledger_sums(order.id)
    if order.paid_at is None or paid <= refunded:
        return None
    amount = min(part.total_vnd, paid - refunded)
    refund = Refund(order_id=order.id, part_id=part.id, amount_vnd=amount, method=order.payment_method, status="due",
                    reason=reason or "", created_by_id=getattr(actor, "id", None))
    db.session.add(refund)
    db.session.flush()
    payment = _card_payment(order) if order.payment_method == "stripe" else None
    if payment is not None:
        try:
            result = get_gateway("stripe").refund(
                order=order, payment_ref=payment.provider_ref, amount_vnd=amount, key=f"refund-part-{part.id}",
                metadata=_refund_metadata(refund))
        except PaymentProviderError as exc:
            refund.status = "failed"
            # Why it failed goes to the audit log (the refund has no column for it), for the finance desk.
            audit.record(actor, "payments.refund_failed", "refund", refund.id, None,
                         {"status": "failed", "amount_vnd": amount, "order": order.code}, exc.message)
            log.warning("refund %s of order %s failed (%s); `flask payments retry-refunds` tries again",
                        refund.id, order.code, exc.message)
        else:
            _apply_provider_refund(refund, result.provider_ref, result.succeeded, result.refunded_at, reason)
    refresh_payment_status(order)
    return refund


def _refund_metadata(refund: Refund) -> dict:
    return {"order_code": refund.order.code, "part_id": str(refund.part_id or ""), "refund_id": str(refund.id)}


def _apply_provider_refund(refund: Refund, provider_ref: str, succeeded: bool, refunded_at: datetime,
                           note: str = "") -> None:
    """Stripe holds this refund: succeeded -> booked; still pending -> `due` until charge.refunded says so."""
    refund.provider_ref = provider_ref
    refund.status = "due"
    if succeeded:
        _refund_succeeded(refund, refunded_at, note=note)


def failed_refunds() -> list[Refund]:
    return db.session.execute(sa.select(Refund).where(Refund.status == "failed").order_by(Refund.id)).scalars().all()


def retry_refund(refund_id: int) -> tuple[str, str]:
    """Try a failed card refund again; commits. Returns what happened and a detail:
    `adopted` (Stripe already holds it: the answer was lost, so it is booked, not repeated),
    `refunded`, `pending` (accepted by Stripe, not final yet), `failed` (still failing; the
    provider's reason is returned and recorded in the audit log), `skipped` (no longer
    failed, or not a card refund)."""
    refund = db.session.execute(sa.select(Refund).where(Refund.id == refund_id).with_for_update()
                                .execution_options(populate_existing=True)).scalar_one_or_none()
    if refund is None or refund.status != "failed" or refund.method != "stripe":
        db.session.rollback()
        return "skipped", "not a failed card refund"
    order = db.session.get(Order, refund.order_id)
    payment = _card_payment(order)
    if payment is None:
        db.session.rollback()
        return "skipped", "no card payment to refund"
    gateway = get_gateway("stripe")
    try:
        for held in gateway.refunds_of(payment.provider_ref):
            if (held.get("metadata") or {}).get("refund_id") == str(refund.id) and held.get("status") in (
                    "succeeded", "pending"):
                _apply_provider_refund(refund, held["id"], held["status"] == "succeeded", _ts(held["created"]),
                                       refund.reason)
                outcome = "adopted"
                break
        else:
            # Stripe holds nothing for this refund: a new idempotency key, since Stripe replays
            # the stored error of the old one.
            result = gateway.refund(order=order, payment_ref=payment.provider_ref, amount_vnd=refund.amount_vnd,
                                    key=f"refund-{refund.id}-retry-{int(utcnow().timestamp())}",
                                    metadata=_refund_metadata(refund))
            _apply_provider_refund(refund, result.provider_ref, result.succeeded, result.refunded_at, refund.reason)
            outcome = "refunded" if result.succeeded else "pending"
    except PaymentProviderError as exc:
        db.session.rollback()
        log.warning("refund %s still failing: %s", refund_id, exc.message)
        audit.record("system", "payments.refund_failed", "refund", refund_id, None, {"status": "failed"}, exc.message)
        db.session.commit()
        return "failed", exc.message
    refresh_payment_status(order)
    audit.record("system", "payments.refund_retried", "refund", refund.id, {"status": "failed"},
                 {"status": refund.status, "outcome": outcome, "provider_ref": refund.provider_ref})
    db.session.commit()
    return outcome, refund.provider_ref or ""


def _card_payment(order: Order) -> LedgerEntry | None:
    return db.session.execute(sa.select(LedgerEntry).where(
        LedgerEntry.order_id == order.id, LedgerEntry.kind == "payment", LedgerEntry.method == "stripe")
        .order_by(LedgerEntry.id)).scalars().first()


def _refund_succeeded(refund: Refund, refunded_at: datetime, note: str = "") -> None:
    refund.status = "succeeded"
    refund.refunded_at = refunded_at
    _book(order_id=refund.order_id, kind="refund", method=refund.method, amount_vnd=refund.amount_vnd,
          provider_ref=refund.provider_ref or f"refund:{refund.id}", occurred_at=refunded_at, refund_id=refund.id,
          note=note or refund.reason)
    part = refund.part
    if part is not None and part.status == "cancelled":
        from ..orders.status import apply_part_transition

        apply_part_transition(part, "refunded", "system", _("refund of %(amount)s", amount=format_vnd(refund.amount_vnd)))
    notify.refund_sent(refund)


def due_refunds() -> list[Refund]:
    return db.session.execute(sa.select(Refund).where(Refund.status == "due")
                              .options(sa.orm.joinedload(Refund.order).lazyload(Order.parts))
                              .order_by(Refund.id)).scalars().all()


def mark_refund_paid(refund_id: int, actor, note: str = "") -> Refund:
    """An admin records that a bank-transfer refund was paid back to the shopper; commits."""
    refund = db.session.execute(sa.select(Refund).where(Refund.id == refund_id).with_for_update()
                                .execution_options(populate_existing=True)).scalar_one_or_none()
    if refund is None:
        raise NotFound(_("Refund not found."))
    if refund.status != "due":
        raise Conflict(_("This refund is not waiting to be paid back."), code="already_reconciled")
    _refund_succeeded(refund, utcnow(), note=note)
    refresh_payment_status(db.session.get(Order, refund.order_id))
    audit.record(actor, "payments.refund_paid_back", "refund", refund.id, {"status": "due"},
                 {"status": refund.status, "amount_vnd": refund.amount_vnd}, note)
    db.session.commit()
    return refund


# ---- Stripe events ---------------------------------------------------------------------------

def _ts(value) -> datetime:
    return datetime.fromtimestamp(int(value), UTC)


def handle_stripe_event(event: dict) -> str:
    """Apply one verified Stripe event; commits. Returns the outcome recorded."""
    recorded = _record_event("stripe", event["id"], event.get("type", ""), event)
    if recorded is None:
        db.session.rollback()
        return "duplicate"
    handler = _STRIPE_HANDLERS.get(event.get("type", ""))
    outcome = handler(event, recorded) if handler else "ignored"
    recorded.outcome = outcome
    db.session.commit()
    return outcome


def _session_order(session: dict) -> Order | None:
    code = (session.get("metadata") or {}).get("order_code") or session.get("client_reference_id")
    return _lock_order(code=code) if code else None


def _session_attempt(session: dict) -> PaymentAttempt | None:
    return db.session.execute(sa.select(PaymentAttempt).where(PaymentAttempt.provider_ref == session.get("id"))
                              ).scalar_one_or_none()


def _on_session_completed(event: dict, recorded: ProviderEvent) -> str:
    session = event["data"]["object"]
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return "awaiting_async_payment"
    return _apply_card_payment(event, recorded)


def _apply_card_payment(event: dict, recorded: ProviderEvent) -> str:
    session = event["data"]["object"]
    order = _session_order(session)
    if order is None:
        recorded.note = "no order for this session"
        return "unknown_order"
    recorded.order_id = order.id
    attempt = _session_attempt(session)
    amount, currency = session.get("amount_total"), (session.get("currency") or "").lower()
    intent = session.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    if currency != "vnd" or amount != order.total_vnd or not intent:
        recorded.note = f"expected {order.total_vnd} vnd, got {amount} {currency}"
        if attempt is not None:
            attempt.status, attempt.note = "failed", recorded.note
        log.warning("stripe session %s for %s: amount mismatch (%s)", session.get("id"), order.code, recorded.note)
        return "amount_mismatch"
    paid_at = _ts(event["created"])
    if attempt is not None:
        attempt.provider_payment_id = intent
    try:
        with db.session.begin_nested():
            _book(order_id=order.id, kind="payment", method="stripe", amount_vnd=amount, provider_ref=intent,
                  occurred_at=paid_at, event_id=recorded.id, attempt_id=attempt.id if attempt else None)
    except IntegrityError:
        return "already_booked"  # completed and async_payment_succeeded for the same PaymentIntent
    if order.status != "pending_payment":
        # Paid after the order expired or was cancelled (or paid twice): give the money back at once.
        return _refund_unwanted_card_payment(order, intent, amount, recorded)
    _settle(order, paid_at, "stripe", _("card payment received"))
    return "paid"


def _refund_unwanted_card_payment(order: Order, intent: str, amount: int, recorded: ProviderEvent) -> str:
    entry = db.session.execute(sa.select(LedgerEntry).where(LedgerEntry.kind == "payment",
                                                            LedgerEntry.provider_ref == intent)).scalar_one()
    entry.order_id = None
    entry.note = f"order {order.code} was {order.status} when the payment arrived"
    result = get_gateway("stripe").refund(order=order, payment_ref=intent, amount_vnd=amount,
                                          key=f"refund-unwanted-{intent}",
                                          metadata={"order_code": order.code, "unwanted_payment": "1"})
    _book(order_id=None, kind="refund", method="stripe", amount_vnd=amount, provider_ref=result.provider_ref,
          occurred_at=result.refunded_at, event_id=recorded.id, note=entry.note)
    recorded.note = entry.note
    return "refunded_unwanted"


def _on_async_failed(event: dict, recorded: ProviderEvent) -> str:
    session = event["data"]["object"]
    attempt = _session_attempt(session)
    order = _session_order(session)
    recorded.order_id = order.id if order else None
    if attempt is not None and attempt.status == "pending":
        attempt.status = "failed"
    return "payment_failed"


def _on_session_expired(event: dict, recorded: ProviderEvent) -> str:
    session = event["data"]["object"]
    order = _session_order(session)
    attempt = _session_attempt(session)
    if attempt is not None and attempt.status == "pending":
        attempt.status = "expired"
    if order is None:
        return "unknown_order"
    recorded.order_id = order.id
    if order.status != "pending_payment" or _open_attempt(order) is not None:
        return "ignored"
    _expire_order(order)
    return "order_expired"


def _on_charge_refunded(event: dict, recorded: ProviderEvent) -> str:
    """Refunds made in the Stripe dashboard are booked too; our own are booked when made."""
    charge = event["data"]["object"]
    intent = charge.get("payment_intent")
    payment = db.session.execute(sa.select(LedgerEntry).where(LedgerEntry.kind == "payment",
                                                              LedgerEntry.provider_ref == intent)).scalar_one_or_none()
    if payment is None:
        return "unknown_payment"
    order = _lock_order(id=payment.order_id) if payment.order_id else None
    recorded.order_id = order.id if order else None
    booked = 0
    for stripe_refund in GATEWAYS["stripe"].refunds_of(intent):
        metadata = stripe_refund.get("metadata") or {}
        succeeded = stripe_refund.get("status") == "succeeded"
        known = db.session.execute(sa.select(Refund).where(Refund.provider_ref == stripe_refund["id"])
                                   ).scalar_one_or_none()
        if known is not None:
            if known.status == "due" and succeeded:
                _refund_succeeded(known, _ts(stripe_refund["created"]))
                booked += 1
            continue
        if metadata.get("part_id") or metadata.get("unwanted_payment") or order is None or not succeeded:
            continue  # made by the marketplace itself (booked by the code that made it), or not final
        refund = Refund(order_id=order.id, part_id=None, amount_vnd=int(stripe_refund["amount"]), method="stripe",
                        status="due", reason="refunded in the Stripe dashboard", provider_ref=stripe_refund["id"])
        db.session.add(refund)
        db.session.flush()
        _refund_succeeded(refund, _ts(stripe_refund["created"]), note=refund.reason)
        booked += 1
    if order is not None:
        refresh_payment_status(order)
    return "refunds_booked" if booked else "nothing_new"


_STRIPE_HANDLERS = {
    "checkout.session.completed": _on_session_completed,
    "checkout.session.async_payment_succeeded": _apply_card_payment,
    "checkout.session.async_payment_failed": _on_async_failed,
    "checkout.session.expired": _on_session_expired,
    "charge.refunded": _on_charge_refunded,
}


# ---- lookups for pages and the API ----------------------------------------------------------

def order_by_code(code: str) -> Order | None:
    return db.session.execute(sa.select(Order).where(Order.code == (code or "").strip())).scalar_one_or_none()


def can_view(order: Order, user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.role == "admin" or (order.user_id is not None and order.user_id == user.id)


def order_by_reference(reference: str) -> Order | None:
    reference = (reference or "").strip().upper()
    if len(reference) < MIN_REFERENCE_LENGTH:
        return None
    return db.session.execute(sa.select(Order).where(Order.payment_reference == reference)).scalar_one_or_none()


def local_time(value: datetime | None) -> str:
    return to_local(value).strftime("%d/%m/%Y %H:%M") if value else ""
