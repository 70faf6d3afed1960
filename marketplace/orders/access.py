"""Finding an order, deciding who may see it, and locking it for a change.

Every page, API endpoint and webhook comes in through here: `find_order` (by code, for
a viewer: the order and the parts they may see, or 404) and `lock_order` (by id, for
a writer). Nothing else reads an order by its code for a user or locks an order row.
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import selectinload

from ..errors import NotFound
from ..extensions import db
from ..timeutil import utcnow
from .codes import normalise_code
from .models import Order, OrderPart
from .status import IllegalTransition

MAX_CODE_LENGTH = 40


# ---- the guest's access token ---------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    # The salt predates this module (payment links already emailed to guests must keep working).
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="order-payment")


def access_token(order: Order) -> str:
    """A token that lets whoever holds it (a guest shopper, from an email) see this order."""
    return _serializer().dumps(order.code)


def token_allows(order: Order, token: str | None) -> bool:
    if not token:
        return False
    try:
        return _serializer().loads(token) == order.code
    except BadSignature:
        return False


# ---- finding and authorising ------------------------------------------------------------------

def _with_everything(query):
    return query.options(selectinload(Order.parts).selectinload(OrderPart.lines), selectinload(Order.events))


def get_order(code: str | None) -> Order | None:
    """The order with this code, typed any way (`7km4p q9xda`), with its parts, lines and history.
    No authorisation: for code that already knows the caller may see it."""
    wanted = normalise_code(code) or str(code or "").strip()
    if not wanted or len(wanted) > MAX_CODE_LENGTH or "\x00" in wanted:
        return None
    return db.session.scalars(_with_everything(sa.select(Order).where(Order.code == wanted))).first()


def visible_parts(order: Order, user, guest_codes: Iterable[str] = (), token: str | None = None
                  ) -> list[OrderPart] | None:
    """The parts of `order` this viewer may see, or None when the order is not theirs.

    The shopper who placed it (signed in, the guest session that placed it, or whoever holds
    its access token) and admins see it all; a seller sees only their own producer's part
    of an order that was paid (never of one cancelled or expired unpaid).
    """
    if order.code in set(guest_codes or ()) or token_allows(order, token):
        return list(order.parts)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.role == "admin" or (order.user_id is not None and order.user_id == user.id):
        return list(order.parts)
    if user.role == "seller" and user.producer_id and order.paid_at is not None:
        mine = [p for p in order.parts if p.producer_id == user.producer_id]
        return mine or None
    return None


def find_order(code: str | None, user, *, guest_codes: Iterable[str] = (), token: str | None = None,
               whole: bool = False) -> tuple[Order, list[OrderPart]]:
    """The order with this code and the parts `user` may see; NotFound (404) when there is no
    such order or it is not theirs, so a stranger cannot tell the two apart.

    `whole`: only a viewer of the whole order will do (its shopper or an admin: payment pages,
    cancelling), never a seller who sees one part.
    """
    order = get_order(code)
    parts = visible_parts(order, user, guest_codes, token) if order is not None else None
    if parts is None or (whole and len(parts) != len(order.parts)):
        raise NotFound(_("Order not found."))
    return order, parts


# ---- locking --------------------------------------------------------------------------------

def _load_order(order_id: int) -> Order:
    return db.session.execute(
        sa.select(Order).where(Order.id == order_id)
        .options(selectinload(Order.parts).selectinload(OrderPart.lines))
        .execution_options(populate_existing=True)
    ).scalar_one()


def lock_order(order_id: int, statuses: Iterable[str] | None = None, target: str = "change", extra=None) -> Order:
    """Lock the order row (for the rest of the transaction), then re-read it with its parts.

    The lock is a conditional UPDATE, which waits for any other writer of the row on both
    PostgreSQL and SQLite (where SELECT ... FOR UPDATE locks nothing). With `statuses`
    (and `extra`, a further condition) it also refuses, raising IllegalTransition (409)
    naming the order's actual status, when the order is not in one of them. Locks are
    taken order row first, then product rows in id order, so writers cannot deadlock.
    """
    condition = [Order.id == order_id]
    if statuses is not None:
        condition.append(Order.status.in_(tuple(statuses)))
    if extra is not None:
        condition.append(extra)
    result = db.session.execute(sa.update(Order).where(*condition).values(updated_at=utcnow())
                                .execution_options(synchronize_session=False))
    order = _load_order(order_id)
    if result.rowcount != 1:
        raise IllegalTransition("order", order.status, target)
    return order


def lock_order_by_code(code: str | None) -> Order | None:
    """`lock_order` for a code a provider or an admin gave (exactly as stored); None if unknown."""
    code = str(code or "").strip()
    if not code or len(code) > MAX_CODE_LENGTH or "\x00" in code:
        return None
    order_id = db.session.scalar(sa.select(Order.id).where(Order.code == code))
    return lock_order(order_id) if order_id is not None else None
