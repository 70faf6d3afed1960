"""The one place order and part statuses change.

Allowed moves are tables; `apply_*_transition` checks the move, assigns the new
status, and writes a history row (who, when, from, to, note). Anything else that
wants a status to change calls these and handles `IllegalTransition` (HTTP 409).
"""
from __future__ import annotations

from flask_babel import gettext

from ..errors import Conflict
from ..extensions import db
from ..timeutil import utcnow
from .models import Order, OrderEvent, OrderPart

ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending_payment": frozenset({"paid", "cancelled", "expired"}),
    "paid": frozenset({"completed", "cancelled", "refunded"}),
    "completed": frozenset({"refunded"}),
    "cancelled": frozenset(),
    "expired": frozenset(),
    "refunded": frozenset(),
}

PART_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"confirmed", "cancelled"}),
    "confirmed": frozenset({"shipped", "cancelled"}),
    "shipped": frozenset({"delivered"}),
    "delivered": frozenset({"refunded"}),
    "cancelled": frozenset({"refunded"}),
    "refunded": frozenset(),
}


class IllegalTransition(Conflict):
    code = "invalid_transition"

    def __init__(self, kind: str, current: str, target: str):
        super().__init__(gettext("cannot move %(kind)s from %(current)s to %(target)s",
                                 kind=kind, current=current, target=target))
        self.kind, self.current, self.target = kind, current, target


def actor_columns(actor) -> dict:
    """actor_id and actor_label of a history row for a user, a label such as 'shopper', or None."""
    if actor is None:
        return {"actor_id": None, "actor_label": "system"}
    if isinstance(actor, str):
        return {"actor_id": None, "actor_label": actor}
    return {"actor_id": actor.id, "actor_label": actor.role}


def allowed_part_moves(part: OrderPart) -> frozenset[str]:
    return PART_TRANSITIONS[part.status]


def apply_order_transition(order: Order, target: str, actor=None, note: str = "") -> OrderEvent:
    if target not in ORDER_TRANSITIONS.get(order.status, ()):
        raise IllegalTransition("order", order.status, target)
    event = OrderEvent(order_id=order.id, from_status=order.status, to_status=target, note=note,
                       created_at=utcnow(), **actor_columns(actor))
    order.status = target
    db.session.add(event)
    return event


def apply_part_transition(part: OrderPart, target: str, actor=None, note: str = "") -> OrderEvent:
    if target not in PART_TRANSITIONS.get(part.status, ()):
        raise IllegalTransition("part", part.status, target)
    event = OrderEvent(order_id=part.order_id, part_id=part.id, from_status=part.status, to_status=target,
                       note=note, created_at=utcnow(), **actor_columns(actor))
    part.status = target
    db.session.add(event)
    return event


def record_created(order: Order, actor=None) -> None:
    """History starts with the order's creation (and each part's)."""
    db.session.add(OrderEvent(order_id=order.id, from_status=None, to_status=order.status,
                              created_at=utcnow(), **actor_columns(actor)))
    for part in order.parts:
        db.session.add(OrderEvent(order_id=order.id, part_id=part.id, from_status=None,
                                  to_status=part.status, created_at=utcnow(), **actor_columns(actor)))


def settle_order_from_parts(order: Order, actor=None) -> None:
    """The order's status follows its parts: every live part delivered -> completed."""
    if order.status != "paid":
        return
    live = [p for p in order.parts if p.status not in ("cancelled", "refunded")]
    if live and all(p.status == "delivered" for p in live):
        apply_order_transition(order, "completed", actor, "all parts delivered")
