"""marshmallow schemas of `POST /checkout`."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from ..cart.services import MAX_LINE_QUANTITY
from ..invoicing.schemas import InvoiceRequestSchema
from ..orders.schemas import OrderSchema
from ..payments.providers import methods as payment_methods
from ..payments.schemas import VietQRSchema
from ..validators import MAX_DB_ID
from .rules import LENGTHS, MAX_ITEMS


def _text(name: str, **metadata):
    """A string that `rules.validate_details` checks (whether it is there, its length, its form),
    so that the API and the web form answer alike; its length documented for clients."""
    return fields.String(load_default=None, allow_none=True, metadata={"maxLength": LENGTHS[name], **metadata})


class CheckoutItemSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    product_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_DB_ID))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_LINE_QUANTITY))


class CheckoutContactSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    full_name = _text("full_name")
    phone = _text("phone", description="Vietnamese phone number; with the order code it tracks the order")
    email = _text("email", description="optional: order emails go here")


class CheckoutAddressSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    line1 = _text("line1", description="house number, street, hamlet")
    ward = _text("ward", description="ward or commune")
    province = _text("province")


class CheckoutSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    contact = fields.Nested(CheckoutContactSchema, required=True)
    shipping_address = fields.Nested(CheckoutAddressSchema, required=True)
    payment_method = fields.String(required=True, metadata={"enum": sorted(payment_methods())})
    note = fields.String(load_default="", allow_none=True, metadata={"maxLength": LENGTHS["note"]})
    items = fields.List(fields.Nested(CheckoutItemSchema), load_default=None,
                        validate=validate.Length(min=1, max=MAX_ITEMS),
                        metadata={"description": "buy these instead of the cart's contents"})
    invoice = fields.Nested(InvoiceRequestSchema, load_default=None, allow_none=True,
                            metadata={"description": "ask the producers for an e-invoice (optional)"})


class PaymentErrorSchema(Schema):
    code = fields.String()
    message = fields.String()


class PaymentSchema(Schema):
    """The Payment object of API.md: what the shopper needs to pay (built by the payments domain)."""

    method = fields.String()
    status = fields.String()
    amount_vnd = fields.Integer()
    page_url = fields.String(metadata={"description": "the order's payment page (works for guests too)"})
    checkout_url = fields.String(metadata={"description": "stripe: the hosted checkout page"})
    expires_at = fields.String(metadata={"description": "stripe: when the hosted checkout page closes"})
    vietqr = fields.Nested(VietQRSchema, metadata={"description": "vietqr: the QR payload, account and reference"})
    error = fields.Nested(PaymentErrorSchema, metadata={
        "description": "set when the payment could not be started (the order stays; retry from page_url)"})


class CheckoutResultSchema(Schema):
    order = fields.Nested(OrderSchema)
    payment = fields.Nested(PaymentSchema)
