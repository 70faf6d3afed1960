"""Emails about orders, sent once the change is committed, in the reader's language.

Each function renders its message now (while the order is loaded) and queues it
with `mail.send_after_commit`; a failing mail server is logged, never raised. The
shopper reads the language the order was placed in, a producer's sellers their own.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..accounts.models import User
from ..accounts.languages import languages_of
from ..extensions import db
from ..links import public_base_url
from ..mail.language import send_in, send_to_each
from .carriers import carrier_name, tracking_url
from .models import Order, OrderPart


def _links(order: Order) -> dict:
    base = public_base_url()
    return {"order_url": f"{base}/orders/{order.code}", "track_url": f"{base}/track?code={order.code}"}


def _render(template: str, **context) -> str:
    # Rendered without the request's context processors: an email never depends on who
    # happens to be signed in on the request that triggered it (a webhook, a seller, cron).
    return current_app.jinja_env.get_template(f"orders/email/{template}.txt").render(**context)


def _to_shopper(order: Order, subject, template: str, **context) -> None:
    """`subject` and any callable in `context` are evaluated in the shopper's language."""
    send_in(order.contact_lang, order.contact_email, lambda: (subject(), _render(
        template, order=order, **_links(order),
        **{key: value() if callable(value) else value for key, value in context.items()})))


def order_placed(order: Order) -> None:
    _to_shopper(order, lambda: _("[OCOP] Order %(code)s received", code=order.code), "placed", parts=order.parts)


def order_paid(order: Order) -> None:
    _to_shopper(order, lambda: _("[OCOP] Order %(code)s paid", code=order.code), "paid", parts=order.parts)


def order_cancelled(order: Order, parts: list[OrderPart], reason: str) -> None:
    """The whole order, or only `parts` of it, was cancelled."""
    whole = all(p.status in ("cancelled", "refunded") for p in order.parts)
    _to_shopper(order, lambda: _("[OCOP] Order %(code)s cancelled", code=order.code), "cancelled",
                parts=parts, whole=whole, reason=reason)


def part_shipped(part: OrderPart) -> None:
    order = part.order
    _to_shopper(order, lambda: _("[OCOP] Order %(code)s: parcel shipped by %(producer)s", code=order.code,
                                 producer=part.producer.name),
                "part_shipped", part=part, carrier=lambda: carrier_name(part.carrier),
                tracking_link=tracking_url(part.carrier, part.tracking_number, order.contact_phone))


def part_delivered(part: OrderPart) -> None:
    order = part.order
    _to_shopper(order, lambda: _("[OCOP] Order %(code)s: parcel delivered", code=order.code), "part_delivered",
                part=part)


def producer_recipients(producer_id: int, producer_email: str | None) -> list[str]:
    """The producer's own address, else its sellers' addresses."""
    if producer_email:
        return [producer_email]
    return list(db.session.scalars(sa.select(User.email).where(User.producer_id == producer_id,
                                                               User.active.is_(True)).order_by(User.id)))


def producer_new_part(part: OrderPart) -> None:
    order = part.order
    seller_url = f"{public_base_url()}/seller/orders"
    send_to_each(languages_of(producer_recipients(part.producer_id, part.producer.email)),
                 lambda: (_("[OCOP] New paid order %(code)s", code=order.code),
                          _render("producer_new_part", order=order, part=part, seller_url=seller_url)))
