"""A producer's order parts: the parcels it must confirm, ship and deliver.

Only parts of orders that have been paid are shown (an unpaid order is not the
producer's to ship yet). Status moves go through the orders domain
(`orders.services.update_part_status` / `cancel_part`), which locks the order,
applies the move through `orders.status`, returns stock and triggers refunds.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager
from flask_babel import gettext

from ..accounts.models import User
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..orders import services as order_services
from ..orders import line_lots
from ..orders.carriers import CARRIERS
from ..orders.models import Order, OrderEvent, OrderPart
from ..orders.presenters import part_dict
from ..orders.status import allowed_part_moves
from ..timeutil import isoformat_local
from ..traceability import shipping

# The portal's tabs: a name -> the part statuses it shows.
PART_FILTERS: dict[str, tuple[str, ...]] = {
    "new": ("pending",),
    "to_ship": ("confirmed",),
    "shipped": ("shipped",),
    "done": ("delivered",),
    "cancelled": ("cancelled", "refunded"),
}
# What a seller may do to a part (refunds are the payments domain's).
SELLER_MOVES = ("confirmed", "shipped", "delivered", "cancelled")


def parts_query(producer_id: int, part_filter: str | None = None) -> sa.Select:
    query = (sa.select(OrderPart).join(Order, Order.id == OrderPart.order_id)
             .where(OrderPart.producer_id == producer_id, Order.paid_at.is_not(None))
             .options(contains_eager(OrderPart.order).selectinload(Order.events)))
    if part_filter in PART_FILTERS:
        query = query.where(OrderPart.status.in_(PART_FILTERS[part_filter]))
    return query


def list_parts(producer_id: int, part_filter: str | None = None, page: int = 1,
               per_page: int = 20) -> tuple[list[OrderPart], int]:
    """One page of the producer's parts, newest payment first (constant number of queries)."""
    per_page = max(1, min(per_page, 100))
    query = parts_query(producer_id, part_filter)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    items = list(db.session.scalars(query.order_by(Order.paid_at.desc(), OrderPart.id.desc())
                                    .limit(per_page).offset((max(page, 1) - 1) * per_page)).unique())
    return items, total


def filter_counts(producer_id: int) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(OrderPart.status, sa.func.count()).join(Order, Order.id == OrderPart.order_id)
        .where(OrderPart.producer_id == producer_id, Order.paid_at.is_not(None)).group_by(OrderPart.status)).all()
    by_status = dict(rows)
    return {name: sum(by_status.get(s, 0) for s in statuses) for name, statuses in PART_FILTERS.items()}


def get_part(producer_id: int, part_id) -> OrderPart:
    """The producer's own part of a paid order, or NotFound (also for another producer's id)."""
    try:
        part_id = int(part_id)
    except (TypeError, ValueError):
        part_id = 0
    part = db.session.scalars(parts_query(producer_id).where(OrderPart.id == part_id)).first()
    if part is None:
        raise NotFound(gettext("Order not found"))
    return part


def history(part: OrderPart) -> list[OrderEvent]:
    return order_services.part_history(part.order, part)


def seller_moves(part: OrderPart) -> list[str]:
    """The moves to offer for this part: legal now (orders.status) and a seller's to make."""
    if part.order.status != "paid":
        return []
    allowed = allowed_part_moves(part)
    return [move for move in SELLER_MOVES if move in allowed]


def move_part(part: OrderPart, actor: User, target: str, carrier: str | None = None,
              tracking_number: str | None = None, note: str = "", lots=None) -> OrderPart:
    """confirmed | shipped (carrier + tracking number) | delivered | cancelled (a reason is required).

    With shipped, `lots` ([{line_id, lots: [{lot_id, quantity}]}]) records the lots each line
    came from (traceability.shipping.clean_line_lots), checked before the part moves.
    Illegal moves raise IllegalTransition / Conflict (409); a cancelled paid part returns
    its stock and is refunded through the payments domain (orders.services.cancel_part).
    """
    target = (target or "").strip()
    wanted = None
    if lots:
        if target != "shipped":
            message = gettext("Lots are recorded when shipping")
            raise ValidationFailed(message, fields={"lots": [message]})
        wanted = shipping.clean_line_lots(part.producer_id, part, lots)
    if target not in SELLER_MOVES:
        raise ValidationFailed(gettext("Status must be confirmed, shipped, delivered or cancelled"),
                               fields={"status": ["confirmed, shipped, delivered, cancelled"]})
    note = (note or "").strip()
    if target == "cancelled" and not note:
        message = gettext("Please give a reason for cancelling")
        raise ValidationFailed(message, fields={"reason": [message]})
    moved = order_services.update_part_status(part, target, actor, carrier=carrier,
                                              tracking_number=tracking_number, note=note)
    if wanted:
        shipping.write_line_lots(part, actor, wanted)
    # cancel_part asks the payments domain for the refund after its own transaction
    # (payments.refund_part "runs in the caller's transaction"): keep that refund.
    db.session.commit()
    return moved


def lots_from_form(form) -> list[dict]:
    """The shipping form's `lot-{line_id}-{lot_id}` unit fields -> [{line_id, lots}] (blank or 0 skipped)."""
    by_line: dict[int, list[dict]] = {}
    for name, value in form.items():
        parts = name.split("-")
        if len(parts) != 3 or parts[0] != "lot" or not (parts[1].isdigit() and parts[2].isdigit()):
            continue
        value = (value or "").strip()
        if value in ("", "0"):
            continue
        by_line.setdefault(int(parts[1]), []).append({"lot_id": int(parts[2]), "quantity": value})
    return [{"line_id": line_id, "lots": lots} for line_id, lots in sorted(by_line.items())]


def lot_choices(part: OrderPart) -> dict[int, list[dict]]:
    """Per line, the lots it may ship from, oldest best-before first, with suggested units."""
    return shipping.shipping_choices(part.producer_id, part)


def shipped_lots(part: OrderPart) -> dict[int, list[dict]]:
    return line_lots.for_parts([part])


def shipped_lots_of(parts: list[OrderPart]) -> dict[int, list[dict]]:
    return line_lots.for_parts(parts)


def carriers() -> list[tuple[str, str]]:
    return [(c.code, str(c.name)) for c in CARRIERS.values()]


def part_json(part: OrderPart, lots: dict | None = None) -> dict:
    """The seller's view of a part: API.md's part, with its order's shipping details. `lots`:
    line_lots.for_parts of a whole page of parts (one query for the page)."""
    order = part.order
    body = part_dict(order, part, lots=lots)
    body["order"] = {"code": order.code, "status": order.status, "paid_at": isoformat_local(order.paid_at),
                     "contact": {"full_name": order.contact_name, "phone": order.contact_phone,
                                 "email": order.contact_email},
                     "shipping_address": {"line1": order.ship_line1, "ward": order.ship_ward,
                                          "province": order.ship_province},
                     "note": order.note}
    body["allowed_moves"] = seller_moves(part)
    return body
