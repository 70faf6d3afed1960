"""Limits on placing orders: how often (a rate per client address, web form and API
together), and how much stock unpaid orders may hold.

An unpaid order holds its stock until it is paid, cancelled or expires (a VietQR order
after a day), so without a bound one guest could reserve every unit of a product for
nothing. `check_unpaid_holds` refuses, before anything is written, an order that would
take one contact or client address beyond the settings `UNPAID_ORDERS_PER_PHONE`,
`UNPAID_ORDERS_PER_EMAIL`, `UNPAID_ORDERS_PER_CLIENT` and `UNPAID_UNITS_PER_PRODUCT`
(0 switches one off). Two checkouts of one contact at the same moment may both pass;
the checkout rate limit bounds how far that goes.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..errors import ValidationFailed
from ..extensions import db, limiter
from ..orders.models import Order, OrderLine, OrderPart

checkout_rate_limit = limiter.shared_limit(
    lambda: current_app.config["CHECKOUT_RATE_LIMIT"], scope="checkout", methods=["POST"],
    error_message=lambda: _("Too many orders placed, try again later"),
)

class HoldLimitReached(ValidationFailed):
    code = "hold_limit"


def _count(condition) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


# Built once, as the checkout's other statements (building one costs more than running it).
# The partial indexes ix_orders_unpaid_* cover each condition; a NULL client matches nothing.
def unpaid_statements() -> tuple[sa.Select, sa.Select]:
    """(the unpaid orders of a phone, an email and a client address, counted; the units of
    each product those of the phone or email hold)."""
    unpaid = Order.status == "pending_payment"
    by_phone = Order.contact_phone == sa.bindparam("phone")
    by_email = Order.contact_email == sa.bindparam("email")
    by_client = Order.client_address == sa.bindparam("client")
    counts = (sa.select(_count(by_phone), _count(by_email), _count(by_client))
              .where(unpaid, sa.or_(by_phone, by_email, by_client)))
    held = (sa.select(OrderLine.product_id, sa.func.sum(OrderLine.quantity))
            .join(OrderPart, OrderPart.id == OrderLine.part_id).join(Order, Order.id == OrderPart.order_id)
            .where(unpaid, sa.or_(by_phone, by_email),
                   OrderLine.product_id.in_(sa.bindparam("ids", expanding=True)))
            .group_by(OrderLine.product_id))
    return counts, held


_UNPAID_COUNTS, _UNITS_HELD = unpaid_statements()


def check_unpaid_holds(phone: str, email: str, client_address: str | None, quantities: dict[int, int]) -> None:
    """Raise HoldLimitReached (422, naming the field to change) when this order would go beyond
    what one contact's or client address's unpaid orders may hold. One query when the
    contact holds no unpaid order (the usual case), two otherwise; none when every limit
    is switched off."""
    cfg = current_app.config
    per_phone, per_email = cfg["UNPAID_ORDERS_PER_PHONE"], cfg["UNPAID_ORDERS_PER_EMAIL"]
    per_client, per_product = cfg["UNPAID_ORDERS_PER_CLIENT"], cfg["UNPAID_UNITS_PER_PRODUCT"]
    window = _("Pay or cancel an unpaid order first, or wait until it expires.")
    if per_product and max(quantities.values()) > per_product:
        raise _units_refused(per_product, window)
    if not (per_phone or per_email or per_client or per_product):
        return
    params = {"phone": phone, "email": email, "client": client_address}
    phone_orders, email_orders, client_orders = (int(n) for n in db.session.execute(_UNPAID_COUNTS, params).one())
    if per_phone and phone_orders >= per_phone:
        message = _("This phone number already has %(n)d unpaid orders.", n=phone_orders) + " " + window
        raise HoldLimitReached(message, fields={"contact.phone": [message]})
    if per_email and email_orders >= per_email:
        message = _("This email address already has %(n)d unpaid orders.", n=email_orders) + " " + window
        raise HoldLimitReached(message, fields={"contact.email": [message]})
    if per_client and client_orders >= per_client:
        raise HoldLimitReached(_("Too many unpaid orders were placed from your network.") + " " + window)
    if per_product and (phone_orders or email_orders):
        held = dict(db.session.execute(_UNITS_HELD, {**params, "ids": sorted(quantities)}).all())
        if any(held.get(pid, 0) + qty > per_product for pid, qty in quantities.items()):
            raise _units_refused(per_product, window)


def _units_refused(per_product: int, window: str) -> HoldLimitReached:
    message = _("At most %(n)d units of one product can wait in unpaid orders.", n=per_product) + " " + window
    return HoldLimitReached(message, fields={"items": [message]})
