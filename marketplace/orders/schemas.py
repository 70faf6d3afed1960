"""marshmallow schemas of the order shapes in API.md (documented in the OpenAPI file)."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate


class OrderProducerSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class LineLotSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    quantity = fields.Integer(metadata={"description": "units of the line from this lot"})
    passport_url = fields.String(metadata={"description": "the lot's passport page"})


class OrderItemSchema(Schema):
    product_id = fields.Integer()
    name = fields.String()
    unit = fields.String()
    unit_price_vnd = fields.Integer()
    quantity = fields.Integer()
    line_total_vnd = fields.Integer()
    lots = fields.List(fields.Nested(LineLotSchema), metadata={
        "description": "the lots the line was shipped from, once its part has shipped"})


class TrackingSchema(Schema):
    carrier = fields.String(allow_none=True, metadata={"description": "ghn, viettelpost, vnpost, ghtk, jt, other"})
    carrier_name = fields.String(allow_none=True)
    number = fields.String(allow_none=True)
    url = fields.String(allow_none=True, metadata={"description": "the carrier's own tracking page"})
    shipped_at = fields.String(allow_none=True)
    delivered_at = fields.String(allow_none=True)


class HistorySchema(Schema):
    status = fields.String()
    at = fields.String()
    note = fields.String()


class OrderInvoiceRequestSchema(Schema):
    kind = fields.String(metadata={"enum": ["company", "person"]})
    name = fields.String()
    tax_code = fields.String(allow_none=True)
    address = fields.String()
    email = fields.String()


class PartInvoiceStatusSchema(Schema):
    status = fields.String(metadata={"enum": ["requested", "issued", "adjustment_due", "adjusted"],
                                     "description": "adjusted (the adjusting invoice is issued) extends API.md"})
    series = fields.String(allow_none=True)
    number = fields.String(allow_none=True)
    lookup_code = fields.String(allow_none=True, metadata={"description": "to look the invoice up at the provider"})
    issued_on = fields.String(allow_none=True, metadata={"format": "date"})
    adjustment = fields.Dict(metadata={"description": "extends API.md: the adjusting invoice {series, number, "
                                                      "lookup_code, issued_on}"})


class PartSchema(Schema):
    id = fields.Integer()
    producer = fields.Nested(OrderProducerSchema)
    status = fields.String(metadata={"description": "pending, confirmed, shipped, delivered, cancelled, refunded"})
    items = fields.List(fields.Nested(OrderItemSchema))
    subtotal_vnd = fields.Integer()
    shipping_vnd = fields.Integer()
    total_vnd = fields.Integer()
    tracking = fields.Nested(TrackingSchema)
    history = fields.List(fields.Nested(HistorySchema))
    invoice = fields.Nested(PartInvoiceStatusSchema, allow_none=True, metadata={
        "description": "the part's e-invoice (issue 25); null when none was asked for nor issued"})


class OrderContactSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    full_name = fields.String(required=True, validate=validate.Length(max=120))
    phone = fields.String(required=True, validate=validate.Length(max=30))
    email = fields.String(required=True, validate=validate.Length(max=254))


class ShippingAddressSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    line1 = fields.String(required=True, validate=validate.Length(max=255),
                          metadata={"description": "house number, street, hamlet"})
    ward = fields.String(required=True, validate=validate.Length(max=120), metadata={"description": "ward or commune"})
    province = fields.String(required=True, validate=validate.Length(max=120))


class OrderPaymentSchema(Schema):
    method = fields.String()
    status = fields.String(metadata={"description": "unpaid, paid, partially_refunded, refunded"})
    amount_vnd = fields.Integer()
    reference = fields.String()
    due_at = fields.String()
    paid_at = fields.String(allow_none=True)


class OrderSchema(Schema):
    code = fields.String()
    status = fields.String(metadata={"description": "pending_payment, paid, completed, cancelled, expired, refunded"})
    created_at = fields.String()
    contact = fields.Nested(OrderContactSchema)
    shipping_address = fields.Nested(ShippingAddressSchema)
    note = fields.String()
    subtotal_vnd = fields.Integer()
    shipping_vnd = fields.Integer()
    total_vnd = fields.Integer()
    payment = fields.Nested(OrderPaymentSchema)
    parts = fields.List(fields.Nested(PartSchema))
    history = fields.List(fields.Nested(HistorySchema))
    invoice = fields.Nested(OrderInvoiceRequestSchema, allow_none=True, metadata={
        "description": "the e-invoice the buyer asked for at checkout, if any"})


class CancelArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    reason = fields.String(load_default="", validate=validate.Length(max=500))


class TrackArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    phone = fields.String(required=True, validate=validate.Length(max=30))


class TrackingPartSchema(PartSchema):
    class Meta:
        exclude = ("subtotal_vnd", "shipping_vnd", "total_vnd", "invoice")


class PublicPaymentSchema(Schema):
    method = fields.String()
    status = fields.String()


class PublicTrackingSchema(Schema):
    code = fields.String()
    status = fields.String()
    created_at = fields.String()
    payment = fields.Nested(PublicPaymentSchema)
    parts = fields.List(fields.Nested(TrackingPartSchema))
    history = fields.List(fields.Nested(HistorySchema))
