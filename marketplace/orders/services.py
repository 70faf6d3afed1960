"""Order rules after checkout: payment, cancellation, expiry, fulfilment, and who may see what.

Every change to an existing order starts by locking the order row with a
conditional UPDATE (`access.lock_order`): it waits for any other writer of the same
order, refuses when the order is no longer in an expected status, and then
re-reads the order and its parts. Locks are always taken order row first, then
product rows in id order, so concurrent operations cannot deadlock, and a
part's status is only ever changed under its order's lock (so "all parts
delivered -> completed" cannot be missed by two sellers delivering at once).

Statuses change only through `orders.status`; stock goes back exactly once per
part (`OrderPart.stock_released_at`, claimed by a conditional UPDATE) and the
order records when it was fully released (`Order.stock_released_at`).
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask_babel import gettext

from .. import stockview
from ..cache import note_catalog_changed
from ..catalog.models import Product
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..search.sync import note_products
from ..timeutil import utcnow
from ..transactions import run_in_transaction
from ..validators import normalise_phone
from . import notifications
from .access import find_order, get_order, lock_order, visible_parts
from .carriers import CARRIERS, TRACKING_NUMBER
from .codes import new_order_code, normalise_code  # noqa: F401  (checkout and tests take them from here)
from .events import order_paid, paid_parts_cancelled
from .models import Order, OrderEvent, OrderPart
from .status import (IllegalTransition, apply_order_transition, apply_part_transition,
                     settle_order_from_parts)

LIVE_PART = ("pending", "confirmed", "shipped", "delivered")
CANCELLABLE_PART = ("pending", "confirmed")


# --- stock ---------------------------------------------------------------------------------------


def _claim_release(model, row_id: int) -> datetime | None:
    """Stamp `stock_released_at` on one row if still unset; the time if this call won, else None."""
    now = utcnow()
    result = db.session.execute(
        sa.update(model).where(model.id == row_id, model.stock_released_at.is_(None))
        .values(stock_released_at=now).execution_options(synchronize_session=False))
    return now if result.rowcount == 1 else None


def _release_part_stock(part: OrderPart) -> bool:
    """Put a part's quantities back on the shelf, once. True if this call did it."""
    released_at = _claim_release(OrderPart, part.id)
    if released_at is None:
        return False
    session = db.session()
    connection = session.connection()
    back_in_stock = []
    for line in sorted(part.lines, key=lambda l: l.product_id):
        products = Product.__table__
        left = connection.execute(sa.update(products).where(products.c.id == line.product_id)
                                  .values(stock=products.c.stock + line.quantity)
                                  .returning(products.c.stock)).scalar()
        if left is not None and left == line.quantity:
            back_in_stock.append(line.product_id)
    # On the connection, like the checkout's reservation: only these products' stock
    # changed, unless one was empty (then "in stock" lists and the search index change).
    stockview.note_changed(session, [line.product_id for line in part.lines])
    if back_in_stock:
        note_catalog_changed(session)
        note_products(session, back_in_stock)
    part.stock_released_at = released_at
    return True


def _release_order_stock(order: Order) -> bool:
    """Release every part's stock, once for the whole order. True if this call did it."""
    released_at = _claim_release(Order, order.id)
    if released_at is None:
        return False
    for part in order.parts:
        _release_part_stock(part)
    order.stock_released_at = released_at
    return True


# --- payment -------------------------------------------------------------------------------------


def mark_order_paid(order: Order, paid_at: datetime, actor="system", note: str = "", commit: bool = True,
                    notify_shopper: bool = True) -> Order:
    """pending_payment -> paid at the provider's time `paid_at`; counts the units sold and
    emails the shopper and each producer (after commit). The payment status follows from
    the payments ledger, which hears of it through `events.order_paid`.

    With commit=False the caller's transaction (e.g. a webhook that also records the
    provider's event id) commits it; the emails still wait for that commit. The payments
    domain sends its own receipt to the shopper and passes notify_shopper=False.
    """
    if paid_at.tzinfo is None:
        raise ValueError("paid_at must be timezone-aware")
    order_id = order.id

    def work() -> Order:
        locked = lock_order(order_id, ("pending_payment",), "paid")
        apply_order_transition(locked, "paid", actor, note)
        locked.paid_at = paid_at
        sold: dict[int, int] = {}
        for part in locked.parts:
            for line in part.lines:
                sold[line.product_id] = sold.get(line.product_id, 0) + line.quantity
        for product_id in sorted(sold):
            db.session.execute(sa.update(Product).where(Product.id == product_id)
                               .values(sold_count=Product.sold_count + sold[product_id])
                               .execution_options(synchronize_session=False))
        if notify_shopper:
            notifications.order_paid(locked)
        for part in locked.parts:
            notifications.producer_new_part(part)
        order_paid.send(locked)
        return locked

    return run_in_transaction(work) if commit else work()


def _refund_cancelled_parts(order_id: int, part_ids: list[int], actor, reason: str) -> None:
    """Tell the payments domain, after the cancellation has committed, to give back what was
    paid for these parts (so a provider outage never undoes a cancellation)."""
    if not part_ids:
        return
    if not paid_parts_cancelled.receivers:
        # Money would silently stay with the marketplace: the payments package must be loaded.
        raise RuntimeError("nothing refunds cancelled parts: import marketplace.payments.refunds")
    paid_parts_cancelled.send(order_id, part_ids=part_ids, actor=actor, reason=reason)


# --- cancellation and expiry ---------------------------------------------------------------------


def cancel_order(order: Order, actor, reason: str = "") -> Order:
    """Cancel a whole order while it is unpaid, or paid with nothing shipped yet.

    Releases the stock once; a paid order's parts are then refunded.
    """
    reason = _clean_note(reason)
    order_id = order.id

    def work():
        locked = lock_order(order_id, ("pending_payment", "paid"), "cancelled")
        shipped = [p for p in locked.parts if p.status in ("shipped", "delivered")]
        if shipped:
            raise Conflict(gettext("Part of this order has already shipped; it can no longer be cancelled"),
                           code="already_shipped")
        was_paid = locked.status == "paid"
        cancelled = [p for p in locked.parts if p.status in CANCELLABLE_PART]
        for part in cancelled:
            apply_part_transition(part, "cancelled", actor, reason)
        apply_order_transition(locked, "cancelled", actor, reason)
        locked.cancelled_at = utcnow()
        _release_order_stock(locked)
        notifications.order_cancelled(locked, cancelled, reason)
        return locked, ([p.id for p in cancelled] if was_paid else [])

    locked, to_refund = run_in_transaction(work)
    _refund_cancelled_parts(order_id, to_refund, actor, reason)
    return locked


def cancel_part(part: OrderPart, actor, reason: str = "") -> OrderPart:
    """Cancel one producer's part of a paid order before it ships; refunds it.

    The order is cancelled too when no live part is left (an unpaid order is
    cancelled as a whole with `cancel_order`).
    """
    reason = _clean_note(reason)
    order_id, part_id = part.order_id, part.id

    def work():
        locked = lock_order(order_id, ("paid",), "cancelled")
        target = next(p for p in locked.parts if p.id == part_id)
        apply_part_transition(target, "cancelled", actor, reason)
        _release_part_stock(target)
        if not any(p.status in LIVE_PART for p in locked.parts):
            apply_order_transition(locked, "cancelled", actor, reason)
            locked.cancelled_at = utcnow()
            _release_order_stock(locked)
        else:
            settle_order_from_parts(locked, actor)
        notifications.order_cancelled(locked, [target], reason)
        return target

    try:
        cancelled = run_in_transaction(work)
    except IllegalTransition as exc:
        if exc.kind == "order" and exc.current == "pending_payment":
            raise Conflict(gettext("The order is not paid yet: cancel the whole order"),
                           code="order_not_paid") from exc
        raise
    _refund_cancelled_parts(order_id, [cancelled.id], actor, reason)
    return cancelled


def expire_order(order: Order, only_if_due: bool = False, now: datetime | None = None,
                 note: str = "payment window ended", commit: bool = True) -> bool:
    """pending_payment -> expired, parts cancelled, stock released (once).

    Returns False when the order is no longer waiting for payment (paid meanwhile,
    already expired by another process, …). `only_if_due` also requires the payment
    window to have ended (what `flask orders expire-unpaid` uses; a provider telling
    us its checkout session expired does not need it). With commit=False it runs in the
    caller's transaction (the Stripe webhook's).
    """
    now = now or utcnow()
    order_id = order.id

    def work() -> bool:
        try:
            locked = lock_order(order_id, ("pending_payment",), "expired",
                                 Order.payment_due_at <= now if only_if_due else None)
        except IllegalTransition:
            return False
        for part in locked.parts:
            if part.status in CANCELLABLE_PART:
                apply_part_transition(part, "cancelled", "system", note)
        apply_order_transition(locked, "expired", "system", note)
        locked.cancelled_at = now
        _release_order_stock(locked)
        notifications.order_cancelled(locked, list(locked.parts), note)
        return True

    return run_in_transaction(work) if commit else work()


def due_unpaid_order_ids(now: datetime | None = None, limit: int | None = None) -> list[int]:
    now = now or utcnow()
    query = (sa.select(Order.id).where(Order.status == "pending_payment", Order.payment_due_at <= now)
             .order_by(Order.payment_due_at, Order.id))
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def expire_unpaid(order_ids: Iterable[int], now: datetime | None = None) -> int:
    """Expire the given orders if still unpaid and due; returns how many this call expired.

    Safe to run on several machines at once: each order is claimed by its row lock
    and its stock released by a conditional UPDATE, so each is expired once.
    """
    now = now or utcnow()
    expired = 0
    for order_id in order_ids:
        order = db.session.get(Order, order_id)
        if order is not None and expire_order(order, only_if_due=True, now=now):
            expired += 1
    return expired


# --- fulfilment ----------------------------------------------------------------------------------


def _clean_note(note: str | None, limit: int = 500) -> str:
    note = (note or "").strip()
    if len(note) > limit:
        raise ValidationFailed(gettext("Note must be at most %(n)d characters", n=limit),
                               fields={"note": [f"≤ {limit}"]})
    return note


def update_part_status(part: OrderPart, target: str, actor, carrier: str | None = None,
                       tracking_number: str | None = None, note: str = "") -> OrderPart:
    """A seller (or admin) moves a part: confirmed, shipped (with carrier and tracking
    number), delivered, or cancelled. The order completes when every live part is delivered."""
    if target == "cancelled":
        return cancel_part(part, actor, note)
    if target not in ("confirmed", "shipped", "delivered"):
        raise ValidationFailed(gettext("Unknown status"),
                               fields={"status": ["confirmed, shipped, delivered, cancelled"]})
    note = _clean_note(note)
    if target == "shipped":
        errors = {}
        carrier = (carrier or "").strip().lower()
        tracking_number = re.sub(r"\s+", "", tracking_number or "")
        if carrier not in CARRIERS:
            errors["carrier"] = [gettext("Carrier: %(codes)s", codes=", ".join(CARRIERS))]
        if not TRACKING_NUMBER.match(tracking_number):
            errors["tracking_number"] = [gettext("Tracking number: 4–60 letters and digits")]
        if errors:
            raise ValidationFailed(gettext("Carrier and tracking number required"),
                                   fields=errors)
    order_id, part_id = part.order_id, part.id

    def work() -> OrderPart:
        try:
            locked = lock_order(order_id, ("paid",), target)
        except IllegalTransition as exc:
            raise Conflict(gettext("The order is %(status)s; its parts cannot move now", status=exc.current),
                           code="invalid_transition") from exc
        moving = next(p for p in locked.parts if p.id == part_id)
        apply_part_transition(moving, target, actor, note)
        if target == "shipped":
            moving.carrier, moving.tracking_number, moving.shipped_at = carrier, tracking_number, utcnow()
            notifications.part_shipped(moving)
        elif target == "delivered":
            moving.delivered_at = utcnow()
            notifications.part_delivered(moving)
        settle_order_from_parts(locked, actor)
        return moving

    return run_in_transaction(work)


# --- reading orders ------------------------------------------------------------------------------


def _with_everything(query):
    return query.options(selectinload(Order.parts).selectinload(OrderPart.lines), selectinload(Order.events))


def may_cancel(order: Order, user, guest_codes: Iterable[str] = ()) -> bool:
    """The shopper (or an admin) may cancel while unpaid, or paid with nothing shipped."""
    if order.status not in ("pending_payment", "paid"):
        return False
    if any(p.status in ("shipped", "delivered") for p in order.parts):
        return False
    parts = visible_parts(order, user, guest_codes)
    return parts is not None and len(parts) == len(order.parts)


def shopper_cancel(code: str, user, guest_codes: Iterable[str], reason: str) -> Order:
    # whole: a seller sees only a part, not theirs to cancel whole
    order, _parts = find_order(code, user, guest_codes=guest_codes, whole=True)
    actor = user if user is not None and getattr(user, "is_authenticated", False) else "shopper"
    return cancel_order(order, actor, reason)


def orders_for_user(user_id: int, page: int = 1, per_page: int = 20, where=None) -> tuple[list[Order], int]:
    """A shopper's orders, newest first, with parts, lines and history in a constant number of queries
    (`where`: a further SQL condition on Order, e.g. one tab of "My orders")."""
    mine = Order.user_id == user_id if where is None else sa.and_(Order.user_id == user_id, where)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Order).where(mine))
    orders = db.session.scalars(
        _with_everything(sa.select(Order).where(mine)
                         .order_by(Order.created_at.desc(), Order.id.desc())
                         .limit(per_page).offset((page - 1) * per_page))
    ).all()
    return list(orders), total or 0


def track(code: str, phone: str) -> Order:
    """The public tracking view needs the order code and the phone number it was placed with;
    a wrong phone answers exactly like an unknown code."""
    not_found = NotFound(gettext("No order matches this code and phone number"))
    try:
        phone = normalise_phone(phone)
    except ValueError:
        raise not_found from None
    order = get_order(code)
    if order is None or not secrets.compare_digest(order.contact_phone, phone):
        raise not_found
    return order


def part_history(order: Order, part: OrderPart) -> list[OrderEvent]:
    return [e for e in order.events if e.part_id == part.id]


def order_history(order: Order) -> list[OrderEvent]:
    return [e for e in order.events if e.part_id is None]
