"""How an order's state reads to people: one label and one colour per status, the same on
the shopper's, the seller's and the public tracking pages, and the five stages of the
shopper's "My orders" tabs.

A part's own status says nothing of payment: every part starts `pending` while its order
waits for the money, so a part of an unpaid (or expired) order shows its order's status.
"""
from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..catalog.models import ProductImage
from ..extensions import db
from .models import Order, OrderPart


class Look(NamedTuple):
    label: object  # a lazy string: translated when shown
    colour: str    # a Bootstrap contextual colour (text-bg-<colour>)


STATUS_LOOKS: dict[str, Look] = {
    # The order's status.
    "pending_payment": Look(_l("Awaiting payment"), "warning"),
    "paid": Look(_l("Processing"), "info"),
    "completed": Look(_l("Completed"), "success"),
    "cancelled": Look(_l("Cancelled"), "secondary"),
    "expired": Look(_l("Expired (unpaid)"), "secondary"),
    "refunded": Look(_l("Refunded"), "dark"),
    # A part's status (a producer's parcel).
    "pending": Look(_l("Awaiting confirmation"), "info"),
    "confirmed": Look(_l("Being prepared"), "info"),
    "shipped": Look(_l("On the way"), "primary"),
    "delivered": Look(_l("Delivered"), "success"),
}


def look(status: str) -> Look:
    return STATUS_LOOKS.get(status, Look(status, "secondary"))


def part_status(part: OrderPart, order: Order | None = None) -> str:
    """What a part's badge shows: its order's status until the order is paid."""
    order = order or part.order
    if part.status == "pending" and order.status in ("pending_payment", "expired", "cancelled"):
        return order.status
    return part.status


# The tabs of "My orders", in order. Each is a condition on the order and its parts.
STAGES: list[tuple[str, object]] = [
    ("awaiting_payment", _l("Awaiting payment")), ("processing", _l("Processing")),
    ("shipping", _l("On the way")), ("completed", _l("Completed")), ("cancelled", _l("Cancelled")),
]


def _parts_in(*statuses: str):
    return sa.exists().where(OrderPart.order_id == Order.id, OrderPart.status.in_(statuses))


def stage_clause(stage: str):
    """SQL condition on Order for one tab (None for an unknown stage)."""
    in_hand = _parts_in("pending", "confirmed")
    return {
        "awaiting_payment": Order.status == "pending_payment",
        "processing": sa.and_(Order.status == "paid", in_hand),
        "shipping": sa.and_(Order.status == "paid", ~in_hand, _parts_in("shipped")),
        "completed": sa.or_(Order.status == "completed",
                            sa.and_(Order.status == "paid", ~_parts_in("pending", "confirmed", "shipped"))),
        "cancelled": Order.status.in_(("cancelled", "expired", "refunded")),
    }.get(stage)


def stage_counts(user_id: int) -> dict[str, int]:
    """How many of the shopper's orders each tab holds, in one query."""
    cases = [sa.func.count().filter(stage_clause(key)).label(key) for key, _ in STAGES]
    row = db.session.execute(sa.select(*cases).select_from(Order).where(Order.user_id == user_id)).one()
    return dict(row._mapping)


def thumbnails(orders) -> dict[int, str | None]:
    """The first photo (its thumbnail when there is one) of every product in these orders, in one
    query: product id -> storage key."""
    ids = {line.product_id for order in orders for part in order.parts for line in part.lines}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(ProductImage.product_id, ProductImage.thumb_path, ProductImage.path)
                              .where(ProductImage.product_id.in_(ids))
                              .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id))
    found: dict[int, str | None] = {}
    for product_id, thumb, path in rows:
        found.setdefault(product_id, thumb or path)
    return found
