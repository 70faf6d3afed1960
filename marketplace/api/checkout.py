"""Checkout: one order with a part per seller, stock reserved, payment started."""
from __future__ import annotations

from flask import request
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, fields, validate

from ..cart.context import current_cart
from ..checkout import idempotency, rules, services
from ..checkout.limits import checkout_rate_limit
from ..checkout.schemas import CheckoutResultSchema, CheckoutSchema
from ..invoicing.presenters import order_with_invoices, placed_order_json
from ..orders.context import remember_guest_order
from ..orders.services import get_order
from .common import ApiBlueprint, link_to

blp = ApiBlueprint("checkout_api", __name__, description="Checkout (guests welcome)")


class CheckoutHeadersSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    idempotency_key = fields.String(data_key=idempotency.HEADER, validate=[
        validate.Length(min=1, max=255), validate.Regexp(idempotency.KEY_PATTERN)], metadata={
        "description": "Any string of 1-255 visible ASCII characters chosen by the client (a UUID is best), "
                       "new for each order. Sending the request again with the same key and the same body "
                       "within 24 hours returns the first answer (the same order and payment, header "
                       "`Idempotent-Replayed: true`) and creates nothing; the same key with another body "
                       "is 422 `idempotency_key_reused`; while the first request is still starting the "
                       "payment, 409 `idempotency_in_progress` (retry shortly). Keys belong to the "
                       "signed-in user; guests share one space.",
        "example": "7f0c2a5e-3b61-4d0e-9a0c-6f1f3c2b9d41"})


def _replay(body: dict):
    return body, 201, {"Idempotent-Replayed": "true"}


def _answer_of_earlier(retry: idempotency.Retry):
    """The first answer for this key, None when the key is new."""
    earlier = idempotency.earlier(retry)
    if earlier is None:
        return None
    if earlier.response is not None:
        remember_guest_order(earlier.order_code)
        return _replay(earlier.response)
    if earlier.in_flight:
        raise idempotency.still_in_flight()
    # The first request committed its order but never stored its answer (it died while starting
    # the payment): build it now; an open payment attempt is reused, not started again.
    order = get_order(earlier.order_code)
    body = {"order": order_with_invoices(order), "payment": services.start_payment(order)}
    idempotency.remember_answer(retry, body)
    remember_guest_order(order.code)
    return _replay(body)


@blp.route("/checkout", methods=["POST"])
@checkout_rate_limit
@blp.arguments(CheckoutSchema())
@blp.arguments(CheckoutHeadersSchema(), location="headers")
@blp.response(201, CheckoutResultSchema)
@blp.links(201, GetOrder=link_to("GET", "/orders/{code}", code="$response.body#/order/code"),
           CancelOrder=link_to("POST", "/orders/{code}/cancel", code="$response.body#/order/code"),
           GetOrderPayment=link_to("GET", "/payments/orders/{code}", code="$response.body#/order/code"))
@blp.errors(404, 409, 422, 429)
def checkout(data, headers):
    """Place an order from the cart, or from `items` when given

    409 when a product lacks stock (the error names the product and adds `product_id`,
    `product_name`, `available`, `requested`) or is no longer for sale; nothing is created.
    Safe to retry with an `Idempotency-Key` header (see the parameter).
    """
    retry = idempotency.retry_of(headers.get("idempotency_key"), current_user, data)
    if retry is not None:
        answer = _answer_of_earlier(retry)
        if answer is not None:
            return answer
    details = rules.validate_details(data["contact"], data["shipping_address"], data["payment_method"],
                                        data.get("note"))
    cart = current_cart()
    from_cart = data.get("items") is None
    items = services.cart_items(cart) if from_cart else data["items"]
    try:
        placed = services.checkout(details, items, user=current_user, cart=cart if from_cart else None,
                                   retry=retry, client_address=request.remote_addr, invoice=data.get("invoice"))
    except idempotency.KeyTaken:  # a concurrent request with this key placed the order
        answer = _answer_of_earlier(retry)
        if answer is None:
            raise idempotency.still_in_flight() from None
        return answer
    remember_guest_order(placed.order.code)
    payment = services.payment_of(placed)
    body = {"order": placed_order_json(placed.order, placed.invoice_request), "payment": payment}
    if retry is not None:
        idempotency.remember_answer(retry, body)
    return body
