"""marshmallow schemas of `POST /checkout`."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from ..cart.services import MAX_LINE_QUANTITY
from ..orders.models import PAYMENT_METHODS
from ..orders.schemas import OrderContactSchema, OrderSchema, ShippingAddressSchema


class CheckoutItemSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    product_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_LINE_QUANTITY))


class CheckoutSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    contact = fields.Nested(OrderContactSchema, required=True)
    shipping_address = fields.Nested(ShippingAddressSchema, required=True)
    payment_method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    note = fields.String(load_default="", validate=validate.Length(max=1000))
    items = fields.List(fields.Nested(CheckoutItemSchema), load_default=None,
                        validate=validate.Length(min=1, max=50),
                        metadata={"description": "buy these instead of the cart's contents"})


class PaymentSchema(Schema):
    """The Payment object of API.md: what the shopper needs to pay."""

    method = fields.String()
    status = fields.String()
    amount_vnd = fields.Integer()
    checkout_url = fields.String(metadata={"description": "stripe: the hosted checkout page"})
    payload = fields.String(metadata={"description": "vietqr: the EMVCo/NAPAS string a banking app scans"})
    image_url = fields.String()
    bank_bin = fields.String()
    account_no = fields.String()
    account_name = fields.String()
    reference = fields.String()
    expires_at = fields.String()


class CheckoutResultSchema(Schema):
    order = fields.Nested(OrderSchema)
    payment = fields.Nested(PaymentSchema)
