"""Traceability API (API.md "Traceability"): a producer's lots, labels and recalls, the admin's
recall, and the public passport JSON. Registered under /api/v1 by marketplace.api."""
from __future__ import annotations

from flask import request
from flask_login import current_user
from marshmallow import Schema, fields

from .common import ApiBlueprint, LocalDateTime, PaginationQuerySchema, page_body, page_schema
from ..traceability import files, links, lots, passports, recalls, shipping
from ..traceability.views import labels_response

URL_PREFIX = ""

blp = ApiBlueprint("Traceability", __name__, description="Lots, passports, labels and recalls")


def _pid() -> int:
    return current_user.producer_id


class OriginSchema(Schema):
    ward_code = fields.String(metadata={"description": "the commune/ward's slug in the province's list"})
    name = fields.String()


class LotSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    code = fields.String()
    produced_on = fields.Date()
    best_before = fields.Date()
    quantity = fields.Integer()
    origin = fields.Function(lambda lot: {"ward_code": lot.origin.slug, "name": lot.origin.name}
                             if lot.origin else None, metadata={"type": "object", "nullable": True})
    process = fields.List(fields.String())
    inputs = fields.List(fields.String())
    scans = fields.Function(lambda lot: {"count": lot.scan_count, "first_at": LocalDateTime()._serialize(
        lot.first_scanned_at, None, None)}, metadata={"type": "object"})
    recalled = fields.Boolean()
    recall_reason = fields.String(allow_none=True)
    recalled_at = LocalDateTime(allow_none=True)
    digital_link = fields.Function(lambda lot: links.digital_link(lot, signed=True),
                                   metadata={"description": "the signed link the labels' QR carries"})
    passport_url = fields.Function(lambda lot: f"/lots/{lot.id}")


def _typed(kind: str, description: str = "", **extra):
    """A field the service validates (clear field errors); typed for the OpenAPI document."""
    return fields.Raw(metadata={"type": kind, "description": description, **extra})


class LotWriteSchema(Schema):
    code = _typed("string", "1-20 letters, digits, '.', '-', '_'; unique per product")
    produced_on = _typed("string", "YYYY-MM-DD", format="date")
    best_before = _typed("string", "YYYY-MM-DD", format="date")
    quantity = _typed("integer", "units in the lot")
    origin = _typed("object", "{ward_code}: where the raw material comes from (a commune/ward slug)")
    process = fields.List(fields.Raw(), metadata={"description": "process steps, in order"})
    inputs = fields.List(fields.Raw(), metadata={"description": "raw materials and inputs"})


class GtinSchema(Schema):
    gtin = _typed("string", "8, 12, 13 or 14 digits with a valid check digit; empty to remove")


class GtinResultSchema(Schema):
    product_id = fields.Integer(attribute="id")
    gtin = fields.String(allow_none=True, metadata={"description": "GTIN-14"})


class RecallSchema(Schema):
    reason = _typed("string", "why the lot is recalled")


class LabelArgs(Schema):
    layout = fields.String(load_default=None, metadata={"description": "3x8 (default) or 4x10"})
    count = fields.String(load_default=None, metadata={"description": "number of labels, default one sheet"})


class PassportSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    product = fields.Dict()
    producer = fields.Dict()
    locality = fields.Dict()
    ocop = fields.Dict(metadata={"description": "stars, status (live, expired, unverified, none), "
                                                "certificate_no, expires_on"})
    produced_on = fields.String()
    best_before = fields.String()
    quantity = fields.Integer()
    origin = fields.Dict(allow_none=True)
    process = fields.List(fields.String())
    inputs = fields.List(fields.String())
    scans = fields.Dict(metadata={"description": "count, first_at"})
    digital_link = fields.String()
    recalled = fields.Boolean()
    recall = fields.Dict(allow_none=True)
    warnings = fields.List(fields.Dict(), metadata={"description": "code (recalled, past_best_before, "
                                                                    "implausible_scans) and message"})
    documents = fields.List(fields.Dict(), metadata={"description": "[{id, kind, title, url, thumb_url}]"})
    photos = fields.List(fields.Dict(), metadata={"description": "[{id, kind, title, url, thumb_url}]"})


@blp.route("/seller/products/<int:product_id>/lots", methods=["GET"])
@blp.auth_required("seller")
@blp.errors(404)
@blp.arguments(PaginationQuerySchema(), location="query")
@blp.response(200, page_schema(LotSchema))
def list_lots(args, product_id: int):
    """The producer's lots of one of its products, newest first."""
    items, total = lots.list_lots(_pid(), product_id, page=args["page"], per_page=args["per_page"])
    return page_body(items, total, args["page"], args["per_page"])


@blp.route("/seller/products/<int:product_id>/lots", methods=["POST"])
@blp.auth_required("seller")
@blp.errors(404, 422)
@blp.arguments(LotWriteSchema())
@blp.response(201, LotSchema)
def create_lot(data, product_id: int):
    """Record a lot of the product."""
    return lots.create_lot(_pid(), product_id, current_user, data)


@blp.route("/seller/products/<int:product_id>/gtin", methods=["PUT"])
@blp.auth_required("seller")
@blp.errors(404, 422)
@blp.arguments(GtinSchema())
@blp.response(200, GtinResultSchema)
def put_gtin(data, product_id: int):
    """Set the product's GTIN (stored and shown as GTIN-14)."""
    return lots.set_gtin(lots.get_product(_pid(), product_id), current_user, data.get("gtin"))


@blp.route("/seller/lots/<int:lot_id>", methods=["GET"])
@blp.auth_required("seller")
@blp.errors(404)
@blp.response(200, LotSchema)
def get_lot(lot_id: int):
    """One of the producer's lots (404 for another producer's)."""
    return lots.get_lot(_pid(), lot_id)


@blp.route("/seller/lots/<int:lot_id>", methods=["PATCH"])
@blp.auth_required("seller")
@blp.errors(404, 422)
@blp.arguments(LotWriteSchema())
@blp.response(200, LotSchema)
def patch_lot(data, lot_id: int):
    """Change the fields given, all or nothing."""
    return lots.update_lot(lots.get_lot(_pid(), lot_id), current_user, data)


@blp.route("/seller/lots/<int:lot_id>/recall", methods=["POST"])
@blp.auth_required("seller")
@blp.errors(404, 409, 422)
@blp.arguments(RecallSchema())
@blp.response(200, LotSchema)
def seller_recall(data, lot_id: int):
    """Recall one of the producer's lots; its passport warns at once."""
    return recalls.recall(lots.get_lot(_pid(), lot_id), current_user, data.get("reason"))


@blp.route("/admin/lots/<int:lot_id>/recall", methods=["POST"])
@blp.auth_required("admin")
@blp.errors(404, 409, 422)
@blp.arguments(RecallSchema())
@blp.response(200, LotSchema)
def admin_recall(data, lot_id: int):
    """Recall any lot (the province's inspectors)."""
    return recalls.recall(lots.get_public_lot(lot_id), current_user, data.get("reason"))


@blp.route("/seller/lots/<int:lot_id>/labels.pdf", methods=["GET"])
@blp.auth_required("seller")
@blp.errors(404, 422)
@blp.arguments(LabelArgs(), location="query")
@blp.response(200, content_type="application/pdf", description="A4 label sheets")
def labels_pdf(_args, lot_id: int):
    """Printable labels of the lot: `layout` 3x8 or 4x10, `count` labels."""
    return labels_response(lots.get_lot(_pid(), lot_id), request.args)


@blp.route("/lots/<int:lot_id>", methods=["GET"])
@blp.errors(404)
@blp.response(200, PassportSchema)
def passport(lot_id: int):
    """The lot's public passport."""
    return passports.passport(lots.get_public_lot(lot_id))


class LineLotsSchema(Schema):
    line_id = fields.Raw(metadata={"type": "integer"})
    lots = fields.List(fields.Raw(), metadata={"description": "[{lot_id, quantity}]: the producer's lots of the line's "
                                                              "product; units add up to the line's quantity"})
    lot_ids = fields.List(fields.Raw(), metadata={"description": "or one lot id for the whole line"})


class PartLotsWriteSchema(Schema):
    lines = fields.List(fields.Nested(LineLotsSchema), required=True)


class PartLineLotsSchema(Schema):
    line_id = fields.Integer()
    product_id = fields.Integer()
    lots = fields.List(fields.Dict(), metadata={"description": "[{id, code, quantity}]"})


@blp.route("/seller/order-parts/<int:part_id>/lots", methods=["PUT"])
@blp.auth_required("seller")
@blp.errors(404, 422)
@blp.arguments(PartLotsWriteSchema())
@blp.response(200, PartLineLotsSchema(many=True))
def put_part_lots(data, part_id: int):
    """Record the lots each line of the producer's order part was shipped from (a recall emails
    those buyers)."""
    return shipping.assign_line_lots(_pid(), part_id, current_user, data["lines"])


# --------------------------------------------------------------------------- documents and photos

class LotFileSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "document or photo"})
    title = fields.String()
    url = fields.String()
    thumb_url = fields.String(allow_none=True)


@blp.route("/seller/lots/<int:lot_id>/files", methods=["POST"])
@blp.auth_required("seller")
@blp.errors(404, 413, 422)
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
    "file": {"type": "string", "format": "binary"}, "kind": {"type": "string", "enum": ["document", "photo"]},
    "title": {"type": "string"}}}}}})
@blp.response(201, LotFileSchema)
def upload_lot_file(lot_id: int):
    """Add a document (certificate or test report: PDF or photo, checked like certificate scans) or a
    photo of one of the producer's lots; it is shown on the passport."""
    lot = lots.get_lot(_pid(), lot_id)
    upload = request.files.get("file")
    item = files.add_lot_file(lot, current_user, request.form.get("kind"), upload.read() if upload else b"",
                                 request.form.get("title"))
    return files.file_dict(item)


@blp.route("/seller/lots/<int:lot_id>/files/<int:file_id>", methods=["DELETE"])
@blp.auth_required("seller")
@blp.errors(404)
@blp.response(204)
def delete_lot_file(lot_id: int, file_id: int):
    """Remove a document or photo of one of the producer's lots."""
    files.remove_lot_file(lots.get_lot(_pid(), lot_id), current_user, file_id)
