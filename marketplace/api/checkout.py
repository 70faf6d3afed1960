"""Checkout: one order with a part per seller, stock reserved, payment started."""
from __future__ import annotations

from flask import request
from flask_login import current_user

from ..cart.context import current_cart
from ..checkout import services
from ..checkout.limits import checkout_rate_limit
from ..checkout.schemas import CheckoutResultSchema, CheckoutSchema
from ..orders.context import remember_guest_order
from ..orders.presenters import order_dict
from .common import ApiBlueprint, link_to, shaped_response

blp = ApiBlueprint("checkout_api", __name__, description="Checkout (guests welcome)")


@blp.route("/checkout", methods=["POST"])
@checkout_rate_limit
@blp.arguments(CheckoutSchema())
@blp.response(201, CheckoutResultSchema)
@blp.links(201, GetOrder=link_to("GET", "/orders/{code}", code="$response.body#/order/code"),
           CancelOrder=link_to("POST", "/orders/{code}/cancel", code="$response.body#/order/code"),
           GetOrderPayment=link_to("GET", "/payments/orders/{code}", code="$response.body#/order/code"))
@blp.errors(404, 409, 422, 429)
def checkout(data):
    """Place an order from the cart, or from `items` when given

    409 when a product lacks stock (the error names the product and adds `product_id`,
    `product_name`, `available`, `requested`) or is no longer for sale; nothing is created.
    """
    details = services.validate_details(data["contact"], data["shipping_address"], data["payment_method"],
                                        data.get("note"))
    cart = current_cart()
    from_cart = data.get("items") is None
    items = services.cart_items(cart) if from_cart else data["items"]
    placed = services.checkout(details, items, user=current_user, cart=cart if from_cart else None,
                               client_address=request.remote_addr)
    remember_guest_order(placed.order.code)
    payment = services.payment_of(placed)
    return shaped_response({"order": order_dict(placed.order), "payment": payment}, 201)
