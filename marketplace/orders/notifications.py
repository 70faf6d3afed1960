"""Emails about orders, in Vietnamese then English, sent once the change is committed.

Each function renders its message now (while the order is loaded) and queues it
with `mail.send_after_commit`; a failing mail server is logged, never raised.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from ..accounts.models import User
from ..extensions import db
from ..links import public_base_url
from ..mail import send_after_commit
from .carriers import carrier_name, tracking_url
from .models import Order, OrderPart


def _links(order: Order) -> dict:
    base = public_base_url()
    return {"order_url": f"{base}/orders/{order.code}", "track_url": f"{base}/track?code={order.code}"}


def _send(to, subject: str, template: str, **context) -> None:
    # Rendered without the request's context processors: an email never depends on who
    # happens to be signed in on the request that triggered it (a webhook, a seller, cron).
    text = current_app.jinja_env.get_template(f"orders/email/{template}.txt").render(**context)
    send_after_commit(to, subject, text)


def order_placed(order: Order) -> None:
    _send(order.contact_email, f"[OCOP] Đã nhận đơn hàng {order.code} / Order {order.code} received",
          "placed", order=order, parts=order.parts, **_links(order))


def order_paid(order: Order) -> None:
    _send(order.contact_email, f"[OCOP] Đơn hàng {order.code} đã thanh toán / Order {order.code} paid",
          "paid", order=order, parts=order.parts, **_links(order))


def order_cancelled(order: Order, parts: list[OrderPart], reason: str) -> None:
    """The whole order, or only `parts` of it, was cancelled."""
    whole = all(p.status in ("cancelled", "refunded") for p in order.parts)
    _send(order.contact_email, f"[OCOP] Đơn hàng {order.code} đã huỷ / Order {order.code} cancelled",
          "cancelled", order=order, parts=parts, whole=whole, reason=reason, **_links(order))


def part_shipped(part: OrderPart) -> None:
    order = part.order
    _send(order.contact_email,
          f"[OCOP] Đơn {order.code}: {part.producer.name} đã gửi hàng / Order {order.code}: parcel shipped",
          "part_shipped", order=order, part=part, carrier=carrier_name(part.carrier),
          tracking_link=tracking_url(part.carrier, part.tracking_number, order.contact_phone), **_links(order))


def part_delivered(part: OrderPart) -> None:
    order = part.order
    _send(order.contact_email,
          f"[OCOP] Đơn {order.code}: đã giao hàng / Order {order.code}: parcel delivered",
          "part_delivered", order=order, part=part, **_links(order))


def producer_recipients(producer_id: int, producer_email: str | None) -> list[str]:
    """The producer's own address, else its sellers' addresses."""
    if producer_email:
        return [producer_email]
    return list(db.session.scalars(sa.select(User.email).where(User.producer_id == producer_id,
                                                               User.active.is_(True)).order_by(User.id)))


def producer_new_part(part: OrderPart) -> None:
    order = part.order
    base = public_base_url()
    _send(producer_recipients(part.producer_id, part.producer.email),
          f"[OCOP] Đơn mới đã thanh toán {order.code} / New paid order {order.code}",
          "producer_new_part", order=order, part=part, seller_url=f"{base}/seller/orders")
