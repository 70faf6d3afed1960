"""Checkout: one order with a part per seller, stock reserved, payment started."""
from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from ..cart.context import current_cart
from ..checkout import services
from ..checkout.schemas import CheckoutResultSchema, CheckoutSchema
from ..orders.context import remember_guest_order
from ..orders.presenters import order_dict
from ..orders.services import get_order

blp = Blueprint("checkout_api", __name__, description="Checkout (guests welcome)")


@blp.route("/checkout", methods=["POST"])
@blp.arguments(CheckoutSchema)
@blp.response(201, CheckoutResultSchema)
@blp.alt_response(409, description="not enough stock (names the product and the quantity available), "
                                   "or a product no longer for sale; nothing is created")
def checkout(data):
    """Place an order from the cart, or from `items` when given"""
    details = services.validate_details(data["contact"], data["shipping_address"], data["payment_method"],
                                        data.get("note"))
    cart = current_cart()
    from_cart = data.get("items") is None
    items = services.cart_items(cart) if from_cart else data["items"]
    order = services.place_order(details, items, user=current_user, cart=cart if from_cart else None)
    remember_guest_order(order.code)
    order = get_order(order.code)
    payment = services.start_payment(order)
    return {"order": order_dict(order), "payment": payment}
