"""Seller API (API.md "Seller portal API"): a producer's own listings and order parts.

Role seller only; every object is looked up with the member's producer id, so
another producer's id is a 404 and changes nothing. Works with the session cookie
(CSRF-protected) or `Authorization: Bearer` (a cooperative's own software), and is
rate limited per token / user (SELLER_API_RATE_LIMIT).
"""
from __future__ import annotations

from flask import current_app, request
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, fields, validate
from flask_babel import lazy_gettext

from ..accounts.auth import bearer_token
from ..accounts.models import ApiToken
from ..catalog.models import PRODUCT_STATUSES
from ..extensions import db, limiter
from ..invoicing.requests import request_json, requests_for
from ..seller import orders as seller_orders
from ..seller import edit, listings, photos
from ..seller.stock import listing_etag
from ..storage import media_url
from .common import ApiBlueprint, LocalDateTime, PaginationQuerySchema, Vnd, link_to, page_body, page_schema

URL_PREFIX = "/seller"

blp = ApiBlueprint("Seller", __name__, description="Seller portal: own listings and order parts (role seller)")


def _rate_key() -> str:
    token = bearer_token()
    if token:
        return "token:" + ApiToken.digest(token)[:32]
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return "ip:" + (request.remote_addr or "?")


limiter.limit(lambda: current_app.config["SELLER_API_RATE_LIMIT"], key_func=_rate_key)(blp)


def _pid() -> int:
    return current_user.producer_id


# --------------------------------------------------------------------------- schemas

class SellerImageSchema(Schema):
    id = fields.Integer()
    url = fields.Function(lambda img: media_url(img.path))
    thumb_url = fields.Function(lambda img: media_url(img.thumb_path or img.path))
    width = fields.Integer()
    height = fields.Integer()
    position = fields.Integer()


class SellerCertificationSchema(Schema):
    stars = fields.Integer()
    certificate_no = fields.String()
    level = fields.String()
    issued_on = fields.Date()
    expires_on = fields.Date()
    verified = fields.Boolean()
    status = fields.String(metadata={"description": "pending, verified, expired or rejected"})
    has_scan = fields.Function(lambda cert: bool(cert.scan_path))


class SellerProductSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    description = fields.String()
    unit = fields.String()
    price_vnd = Vnd()
    stock = fields.Integer()
    status = fields.String(metadata={"description": "draft, active or archived"})
    category = fields.Function(lambda p: p.category.slug)
    ocop_stars = fields.Integer(allow_none=True)
    public = fields.Function(lambda p: p.is_public, metadata={"description": "shown in the shop now"})
    images = fields.List(fields.Nested(SellerImageSchema))
    certification = fields.Nested(SellerCertificationSchema, attribute="certificate", allow_none=True)
    created_at = LocalDateTime()
    updated_at = LocalDateTime()


class IfMatchSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    if_match = fields.String(data_key="If-Match", metadata={
        "description": "The listing's `ETag` from GET (or the last PATCH); required when the body changes "
                       "`stock`, so that units reserved by checkouts since that read are never undone."})


class ProductListArgs(PaginationQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf((*PRODUCT_STATUSES, "all")),
                           metadata={"description": "default: draft and active"})
    q = fields.String(load_default=None, validate=validate.Length(max=100))


def _typed(kind: str, description: str = "", **extra):
    """A field the service validates (messages in the request's language); typed for the OpenAPI document."""
    return fields.Raw(metadata={"type": kind, "description": description, **extra})


class ProductWriteSchema(Schema):
    name = _typed("string")
    description = _typed("string")
    unit = _typed("string", "selling unit, e.g. 'hộp 500 g'")
    price_vnd = _typed("integer", "whole dong")
    stock = _typed("integer")
    status = _typed("string", "draft, active or archived")
    category = _typed("string", "category slug")


class CertificationWriteSchema(Schema):
    stars = _typed("integer", "3 to 5")
    certificate_no = _typed("string")
    level = _typed("string", "province or national")
    issued_on = _typed("string", "YYYY-MM-DD", format="date")
    expires_on = _typed("string", "YYYY-MM-DD; default 36 months after issued_on", format="date")


class ProductPatchSchema(ProductWriteSchema):
    image_order = fields.List(fields.Raw(), metadata={"description": "every photo id, cover first"})
    remove_image_ids = fields.List(fields.Raw())
    certification = fields.Raw(metadata={"type": "object", "description": "a new certificate claim: stars, "
                                         "certificate_no, level, issued_on, expires_on; pending until verified"})


# --------------------------------------------------------------------------- products

def _product_links(product_id: str) -> dict:
    """Links from an answer holding a listing's id to what can be done with it."""
    path = "/seller/products/{product_id}"
    return {"GetSellerProduct": link_to("GET", path, product_id=product_id),
            "PatchSellerProduct": link_to("PATCH", path, product_id=product_id),
            "ArchiveSellerProduct": link_to("DELETE", path, product_id=product_id),
            "UploadSellerProductImages": link_to("POST", path + "/images", product_id=product_id)}


@blp.route("/products", methods=["GET"])
@blp.auth_required("seller")
@blp.arguments(ProductListArgs(), location="query")
@blp.response(200, page_schema(SellerProductSchema))
@blp.links(200, **_product_links("$response.body#/items/0/id"))
def list_products(args):
    """The producer's listings (drafts and active by default)."""
    items, total = listings.list_products(_pid(), status=args["status"], q=args["q"], page=args["page"],
                                          per_page=args["per_page"])
    return page_body(items, total, args["page"], args["per_page"])


@blp.route("/products", methods=["POST"])
@blp.auth_required("seller")
@blp.errors(422)
@blp.arguments(ProductWriteSchema())
@blp.response(201, SellerProductSchema)
@blp.links(201, **_product_links("$response.body#/id"))
def create_product(data):
    """Create a listing (a draft unless `status` is `active`)."""
    return listings.create_product(_pid(), current_user, data)


@blp.route("/products/<int:product_id>", methods=["GET"])
@blp.auth_required("seller")
@blp.errors(404)
@blp.response(200, SellerProductSchema)
@blp.links(200, DeleteSellerProductImage=link_to("DELETE", "/seller/products/{product_id}/images/{image_id}",
                                                 product_id="$response.body#/id",
                                                 image_id="$response.body#/images/0/id"))
def get_product(product_id: int):
    """One of the producer's listings (404 for another producer's)

    The `ETag` header is what a PATCH that changes `stock` sends back as `If-Match`.
    """
    product = listings.get_product(_pid(), product_id)
    return product, 200, {"ETag": f'"{listing_etag(product)}"'}


@blp.route("/products/<int:product_id>", methods=["PATCH"])
@blp.auth_required("seller")
@blp.errors(404, 412, 422, 428)
@blp.arguments(ProductPatchSchema())
@blp.arguments(IfMatchSchema(), location="headers")
@blp.response(200, SellerProductSchema, headers={"ETag": {
    "description": "the listing's new validator", "schema": {"type": "string"}}})
def patch_product(data, headers, product_id: int):
    """Edit price, stock, text, photo order/removal and the certificate claim, all or nothing

    Changing `stock` needs `If-Match` with the listing's `ETag` (from GET or the last PATCH):
    checkouts reserve units at any moment, and a figure computed from an older read would
    undo their reservations. 428 without it; 412 `stale_stock` (with the current `stock`)
    when the listing changed since, and nothing is written: read it again and retry. Invalid
    input is a 422 first, whatever the validator.
    """
    product = listings.get_product(_pid(), product_id)
    seen = product.stock if request.if_match else None
    stale = bool(request.if_match) and not request.if_match.contains(listing_etag(product))
    product = edit.patch_product(product, current_user, data, stock_seen=seen, stale=stale)
    return product, 200, {"ETag": f'"{listing_etag(product)}"'}


@blp.route("/products/<int:product_id>", methods=["DELETE"])
@blp.auth_required("seller")
@blp.errors(404)
@blp.response(200, SellerProductSchema)
def archive_product(product_id: int):
    """Archive the listing (listings are never deleted: orders refer to them)."""
    return listings.archive_product(listings.get_product(_pid(), product_id), current_user)


@blp.route("/products/<int:product_id>/images", methods=["POST"])
@blp.auth_required("seller")
@blp.errors(404, 413, 422)
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {
    "type": "object", "properties": {"images": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}})
@blp.response(201, SellerProductSchema)
def upload_images(product_id: int):
    """Add photos (multipart field `images`, up to 8 per product; JPEG, PNG or WebP)."""
    product = listings.get_product(_pid(), product_id)
    files = [(f.filename or "", f.read()) for f in request.files.getlist("images") if f]
    photos.add_images(product, current_user, files)
    return product


@blp.route("/products/<int:product_id>/images/<int:image_id>", methods=["DELETE"])
@blp.auth_required("seller")
@blp.errors(404)
@blp.response(200, SellerProductSchema)
def delete_image(product_id: int, image_id: int):
    """Remove a photo; the others keep their order."""
    product = listings.get_product(_pid(), product_id)
    photos.remove_image(product, current_user, image_id)
    return product


# --------------------------------------------------------------------------- order parts

class PartListArgs(PaginationQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(tuple(seller_orders.PART_FILTERS)),
                           metadata={"description": "new (pending), to_ship (confirmed), shipped, done (delivered), "
                                                    "cancelled (cancelled or refunded); default: all"})


class SellerPartSchema(Schema):
    """A part of a paid order (API.md's part) with the order's shipping details."""

    id = fields.Integer()
    status = fields.String()
    order = fields.Dict(metadata={"description": "code, status, paid_at, contact, shipping_address, note"})
    producer = fields.Dict()
    items = fields.List(fields.Dict())
    subtotal_vnd = Vnd()
    shipping_vnd = Vnd()
    total_vnd = Vnd()
    tracking = fields.Dict()
    history = fields.List(fields.Dict())
    allowed_moves = fields.List(fields.String(), metadata={"description": "statuses the seller may move it to now"})
    invoice_request = fields.Dict(allow_none=True, metadata={
        "description": "the invoice the buyer asked for: {kind company|person, name, tax_code, address, email}, "
                       "or null"})


def _with_invoice_requests(parts) -> list[dict]:
    """part_json of each part with its lines' lots and the order's invoice request (one query each
    for the page)."""
    asked = requests_for(part.order_id for part in parts)
    lots = seller_orders.shipped_lots_of(parts)
    return [{**seller_orders.part_json(part, lots), "invoice_request": request_json(asked.get(part.order_id))}
            for part in parts]


def _text(description: str) -> fields.String:
    """A text field whose values the service checks; anything but text is a 422 here."""
    return fields.String(allow_none=True, metadata={"description": description},
                         error_messages={"invalid": lazy_gettext("Must be text")})


class PartMoveSchema(Schema):
    status = _text("confirmed, shipped, delivered or cancelled")
    carrier = _text("with shipped: ghn, viettelpost, vnpost, ghtk, jt or other")
    tracking_number = _text("with shipped")
    reason = _text("with cancelled (required), or a note")
    lots = fields.List(fields.Raw(), allow_none=True, metadata={
        "description": "with shipped: [{line_id, lots: [{lot_id, quantity}]}], the lots each line came from; "
                       "units add up to the line's quantity"})


@blp.route("/orders", methods=["GET"])
@blp.auth_required("seller")
@blp.arguments(PartListArgs(), location="query")
@blp.response(200, page_schema(SellerPartSchema))
@blp.links(200, GetOrderPart=link_to("GET", "/seller/order-parts/{part_id}", part_id="$response.body#/items/0/id"),
           MoveOrderPart=link_to("PATCH", "/seller/order-parts/{part_id}", part_id="$response.body#/items/0/id"))
def list_order_parts(args):
    """Parts of paid orders for this producer, newest payment first."""
    items, total = seller_orders.list_parts(_pid(), args["status"], page=args["page"], per_page=args["per_page"])
    return page_body(_with_invoice_requests(items), total, args["page"], args["per_page"])


@blp.route("/order-parts/<int:part_id>", methods=["GET"])
@blp.auth_required("seller")
@blp.errors(404)
@blp.response(200, SellerPartSchema)
def get_order_part(part_id: int):
    """One part of a paid order for this producer (404 for another producer's)."""
    return _with_invoice_requests([seller_orders.get_part(_pid(), part_id)])[0]


@blp.route("/order-parts/<int:part_id>", methods=["PATCH"])
@blp.auth_required("seller")
@blp.errors(404, 409, 422)
@blp.arguments(PartMoveSchema())
@blp.response(200, SellerPartSchema)
def move_order_part(data, part_id: int):
    """Confirm, ship (carrier + tracking_number), deliver, or cancel (reason) a part.

    Only legal moves succeed (409 `invalid_transition` otherwise); cancelling a paid part
    returns its stock and refunds it.
    """
    part = seller_orders.get_part(_pid(), part_id)
    seller_orders.move_part(part, current_user, data.get("status"), carrier=data.get("carrier"),
                            tracking_number=data.get("tracking_number"), note=data.get("reason") or "",
                            lots=data.get("lots"))
    db.session.expire_all()
    return _with_invoice_requests([seller_orders.get_part(_pid(), part_id)])[0]
