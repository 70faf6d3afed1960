"""Admin API (role admin): producers, certification, retail totals, statistics, exports."""
from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..accounts.auth import role_required
from ..admin import services
from ..timeutil import isoformat_local

URL_PREFIX = "/admin"

blp = Blueprint("admin_api", __name__, description="Administration (role admin)")

admin_only = role_required("admin")


class LocalitySchema(Schema):
    slug = fields.String()
    name = fields.String()
    region = fields.String()


class AdminProducerSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    kind = fields.String()
    tax_code = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    locality = fields.Nested(LocalitySchema)
    approved = fields.Boolean()
    approved_at = fields.Function(lambda p: isoformat_local(p.approved_at))
    suspended = fields.Function(lambda p: p.suspended_at is not None)
    suspended_at = fields.Function(lambda p: isoformat_local(p.suspended_at))
    suspension_reason = fields.String(allow_none=True)
    can_sell = fields.Boolean()


class ProducerPageSchema(Schema):
    items = fields.List(fields.Nested(AdminProducerSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class ProducerQuerySchema(Schema):
    q = fields.String(load_default=None)
    status = fields.String(load_default="all", validate=validate.OneOf(services.PRODUCER_STATUSES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class CertificationArgsSchema(Schema):
    verified = fields.Boolean(required=True)
    stars = fields.Integer(validate=validate.Range(min=1, max=5))
    certificate_no = fields.String(validate=validate.Length(min=1, max=60))
    level = fields.String(validate=validate.OneOf(("province", "national")))
    issued_on = fields.Date()
    expires_on = fields.Date()
    reason = fields.String(validate=validate.Length(max=2000),
                           metadata={"description": "required when verified is false"})


class CertificationSchema(Schema):
    product_id = fields.Integer()
    stars = fields.Integer()
    certificate_no = fields.String()
    level = fields.String()
    issued_on = fields.Date()
    expires_on = fields.Date()
    verified = fields.Boolean()
    status = fields.String()
    rejected_reason = fields.String(allow_none=True)
    ocop_stars = fields.Function(lambda c: c.stars if c.is_live() else None)


@blp.route("/producers", methods=["GET"])
@admin_only
@blp.arguments(ProducerQuerySchema, location="query")
@blp.response(200, ProducerPageSchema)
def list_producers(args):
    """Producers, filtered by status (all, pending, approved, suspended) and free text."""
    page = services.list_producers(args["q"], args["status"], args["page"], args["per_page"])
    return {"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page}


@blp.route("/producers/<int:producer_id>/approve", methods=["POST"])
@admin_only
@blp.response(200, AdminProducerSchema)
def approve_producer(producer_id: int):
    """Approve a producer: it may sell from now on."""
    return services.approve_producer(current_user, producer_id)


@blp.route("/producers/<int:producer_id>/suspend", methods=["POST"])
@admin_only
@blp.arguments(ReasonSchema)
@blp.response(200, AdminProducerSchema)
def suspend_producer(args, producer_id: int):
    """Suspend a producer with a reason: its listings leave the shop at once; open orders go on."""
    return services.suspend_producer(current_user, producer_id, args["reason"])


@blp.route("/producers/<int:producer_id>/reinstate", methods=["POST"])
@admin_only
@blp.response(200, AdminProducerSchema)
def reinstate_producer(producer_id: int):
    """Lift a suspension."""
    return services.reinstate_producer(current_user, producer_id)


@blp.route("/products/<int:product_id>/certification", methods=["POST"])
@admin_only
@blp.arguments(CertificationArgsSchema)
@blp.response(200, CertificationSchema)
def set_certification(args, product_id: int):
    """Verify a product's OCOP certificate (recording its terms) or reject the claim with a reason."""
    return services.set_certification(current_user, product_id, **args)
