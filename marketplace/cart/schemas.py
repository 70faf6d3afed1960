"""marshmallow schemas of the cart (API.md `/cart`)."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from .services import MAX_LINE_QUANTITY


class AddItemSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    product_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    quantity = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=MAX_LINE_QUANTITY))


class SetQuantitySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_LINE_QUANTITY),
                              metadata={"description": "0 removes the line"})


class CartLineSchema(Schema):
    product_id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    unit = fields.String()
    unit_price_vnd = fields.Integer()
    quantity = fields.Integer()
    line_total_vnd = fields.Integer()
    available = fields.Integer(metadata={"description": "units in stock now"})
    problem = fields.String(allow_none=True,
                            metadata={"description": "null, unavailable, out_of_stock or insufficient_stock"})


class CartProducerSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()


class CartGroupSchema(Schema):
    producer = fields.Nested(CartProducerSchema)
    items = fields.List(fields.Nested(CartLineSchema))
    subtotal_vnd = fields.Integer()
    shipping_vnd = fields.Integer()
    free_shipping_threshold_vnd = fields.Integer()
    total_vnd = fields.Integer()


class CartSchema(Schema):
    groups = fields.List(fields.Nested(CartGroupSchema), metadata={"description": "one per seller"})
    item_count = fields.Integer()
    subtotal_vnd = fields.Integer()
    shipping_vnd = fields.Integer()
    total_vnd = fields.Integer()
    can_checkout = fields.Boolean()


def cart_dict(priced) -> dict:
    return {
        "groups": [{
            "producer": {"id": g.producer.id, "name": g.producer.name, "slug": g.producer.slug},
            "items": [{"product_id": l.product.id, "slug": l.product.slug, "name": l.product.name,
                       "unit": l.product.unit, "unit_price_vnd": l.unit_price_vnd, "quantity": l.quantity,
                       "line_total_vnd": l.line_total_vnd, "available": max(l.product.stock, 0),
                       "problem": l.problem} for l in g.lines],
            "subtotal_vnd": g.subtotal_vnd, "shipping_vnd": g.shipping_vnd,
            "free_shipping_threshold_vnd": g.free_shipping_threshold_vnd, "total_vnd": g.total_vnd,
        } for g in priced.groups],
        "item_count": priced.item_count,
        "subtotal_vnd": priced.subtotal_vnd,
        "shipping_vnd": priced.shipping_vnd,
        "total_vnd": priced.total_vnd,
        "can_checkout": priced.can_checkout,
    }
