"""Admin API (role admin): producers, certification, retail totals, statistics, exports."""
from __future__ import annotations

from flask import Response, stream_with_context
from flask_login import current_user
from marshmallow import Schema, fields, validate

from ..admin import services
from ..audit import record
from ..catalog.schemas import CertificationSchema, LocalitySchema
from ..extensions import db
from ..stats import exports, share
from ..stats.exports import grouped_table, lines_table
from ..stats.labels import Labeller
from ..stats.sales import GROUPINGS, check_producer, date_range, sales_report
from ..timeutil import local_today
from .common import ApiBlueprint, link_to, LocalDateTime, PaginationQuerySchema, Vnd, page_body, page_schema

URL_PREFIX = "/admin"

blp = ApiBlueprint("admin_api", __name__, description="Administration (role admin): producers, certification, "
                                                     "retail totals, statistics, exports")


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
    approved_at = LocalDateTime(allow_none=True)
    suspended = fields.Function(lambda p: p.suspended_at is not None, metadata={"type": "boolean"})
    suspended_at = LocalDateTime(allow_none=True)
    suspension_reason = fields.String(allow_none=True)
    can_sell = fields.Boolean()
    active_products = fields.Integer(metadata={"description": "listings with status active (list only)"})


class AdminProducerQuerySchema(PaginationQuerySchema):
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    status = fields.String(load_default="all", validate=validate.OneOf(services.PRODUCER_STATUSES))


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class CertificationArgsSchema(Schema):
    verified = fields.Boolean(required=True)
    stars = fields.Integer(validate=validate.Range(min=1, max=5))
    certificate_no = fields.String(validate=validate.Length(min=1, max=60))
    level = fields.String(validate=validate.OneOf(("province", "national")))
    issued_on = fields.Date()
    expires_on = fields.Date(metadata={"description": "default: 36 months after issued_on"})
    reason = fields.String(validate=validate.Length(max=2000),
                           metadata={"description": "required when verified is false"})


class AdminCertificationSchema(CertificationSchema):
    product_id = fields.Integer()
    rejected_reason = fields.String(allow_none=True)
    ocop_stars = fields.Function(lambda c: c.stars if c.is_live() else None,
                                 metadata={"type": "integer", "nullable": True,
                                           "description": "the stars the shop shows now"})


@blp.route("/producers", methods=["GET"])
@blp.auth_required("admin")
@blp.arguments(AdminProducerQuerySchema(), location="query")
@blp.response(200, page_schema(AdminProducerSchema))
@blp.links(200, **{name: link_to("POST", f"/admin/producers/{{producer_id}}/{action}",
                                 producer_id="$response.body#/items/0/id")
                   for name, action in (("ApproveProducer", "approve"), ("SuspendProducer", "suspend"),
                                        ("ReinstateProducer", "reinstate"))})
def list_producers(args):
    """Producers, filtered by status (all, pending, approved, suspended) and free text."""
    page = services.list_producers(args["q"], args["status"], args["page"], args["per_page"])
    return page_body(page.items, page.total, page.page, page.per_page)


@blp.route("/producers/<int:producer_id>/approve", methods=["POST"])
@blp.auth_required("admin")
@blp.errors(404, 409)
@blp.response(200, AdminProducerSchema)
def approve_producer(producer_id: int):
    """Approve a producer: it may sell from now on.

    409 `tax_code_clash` while another producer claiming the same tax code sells.
    """
    return services.approve_producer(current_user, producer_id)


@blp.route("/producers/<int:producer_id>/suspend", methods=["POST"])
@blp.auth_required("admin")
@blp.errors(404)
@blp.arguments(ReasonSchema())
@blp.response(200, AdminProducerSchema)
def suspend_producer(args, producer_id: int):
    """Suspend a producer with a reason: its listings leave the shop at once; open orders go on."""
    return services.suspend_producer(current_user, producer_id, args["reason"])


@blp.route("/producers/<int:producer_id>/reinstate", methods=["POST"])
@blp.auth_required("admin")
@blp.errors(404, 409)
@blp.response(200, AdminProducerSchema)
def reinstate_producer(producer_id: int):
    """Lift a suspension (409 `tax_code_clash` while another claimant of its tax code sells)."""
    return services.reinstate_producer(current_user, producer_id)


@blp.route("/products/<int:product_id>/certification", methods=["POST"])
@blp.auth_required("admin")
@blp.errors(404)
@blp.arguments(CertificationArgsSchema())
@blp.response(200, AdminCertificationSchema)
def set_certification(args, product_id: int):
    """Verify a product's OCOP certificate (recording its terms) or reject the claim with a reason."""
    return services.set_certification(current_user, product_id, **args)


# --- statistics, the e-commerce share indicator, exports ------------------------------------------

class SalesQuerySchema(Schema):
    date_from = fields.Date(data_key="from", load_default=None,
                            metadata={"description": "first local day (default: 1 January of this year)"})
    date_to = fields.Date(data_key="to", load_default=None, metadata={"description": "last local day (default: today)"})
    group_by = fields.String(load_default="month", validate=validate.OneOf(GROUPINGS), metadata={
        "description": "month, locality, region, category, stars, producer_kind, producer (API.md), and, as an "
                       "extension of API.md, product (one row per product; label = the product's name)"})
    producer_id = fields.Integer(load_default=None, validate=validate.Range(min=1), metadata={
        "description": "extension of API.md: only this producer's sales (as its seller portal shows them); "
                       "422 if there is no such producer"})


class ExportQuerySchema(SalesQuerySchema):
    level = fields.String(load_default="grouped", validate=validate.OneOf(("grouped", "lines")),
                          metadata={"description": "grouped (as /admin/stats/sales) or lines (one row per paid line)"})


class SalesRowSchema(Schema):
    key = fields.String()
    label = fields.String()
    value_vnd = fields.Integer(metadata={"description": "gross - refunds"})
    gross_vnd = fields.Integer()
    refunds_vnd = fields.Integer()
    orders = fields.Integer()
    units = fields.Integer()
    buyers = fields.Integer()
    producers = fields.Integer()


class SalesReportSchema(Schema):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    group_by = fields.String()
    producer_id = fields.Integer(allow_none=True, metadata={"description": "the producer filter, if any"})
    rows = fields.List(fields.Nested(SalesRowSchema))
    total = fields.Nested(SalesRowSchema)


class ShareQuerySchema(Schema):
    period = fields.String(load_default=None, metadata={"description": "2025, 2025-Q1 or 2025-01 (default: this year)"})
    trend = fields.Boolean(load_default=True)


class ChannelSchema(Schema):
    channel = fields.String(required=True, validate=validate.Length(min=1, max=120))
    amount_vnd = Vnd(required=True, validate=validate.Range(min=0))
    cashless_vnd = Vnd(load_default=None, allow_none=True, validate=validate.Range(min=0), metadata={
        "description": "the part paid cashless (transfer, card, e-wallet), at most amount_vnd; omitted: unknown"})


ShareFiguresSchema = Schema.from_dict({
    "period": fields.String(), "period_kind": fields.String(metadata={"description": "year | quarter | month"}),
    "from": fields.String(), "to": fields.String(),
    "marketplace_vnd": fields.Integer(metadata={"description": "paid sales on this marketplace, net of refunds"}),
    "marketplace_gross_vnd": fields.Integer(metadata={"description": "paid sales before refunds"}),
    "marketplace_refunds_vnd": fields.Integer(metadata={"description": "refunds paid back in the period"}),
    "other_channels": fields.List(fields.Nested(ChannelSchema)),
    "other_channels_vnd": fields.Integer(), "ecommerce_vnd": fields.Integer(),
    "total_retail_vnd": fields.Integer(allow_none=True),
    "retail_basis": fields.String(allow_none=True, metadata={"description": "recorded | months | quarters"}),
    "share_percent": fields.Float(allow_none=True), "target_percent": fields.Float(),
    "progress_percent": fields.Float(allow_none=True, metadata={"description": "share / target x 100"}),
    "target": fields.Nested(Schema.from_dict({
        "percent": fields.Float(), "by_year": fields.Integer(allow_none=True),
        "decision": fields.String(metadata={"description": "the decision setting it, or ECOMMERCE_TARGET_PERCENT"}),
        "source": fields.String(), "measure_vi": fields.String(), "measure_en": fields.String(),
    }, name="EcommerceTarget")),
    "net_negative": fields.Boolean(metadata={"description": "refunds paid in the period exceed its sales"}),
    "note": fields.String(allow_none=True, metadata={"description": "why a share is negative"}),
    "message": fields.String(allow_none=True),
    "e_invoice": fields.Dict(metadata={
        "description": "share of paid marketplace sales with an issued e-invoice (target 100%), by local month of "
                       "payment: {paid_vnd, invoiced_vnd, percent, target_percent, by_locality: [{region_slug, "
                       "region, paid_vnd, invoiced_vnd, percent}]} (the producers' former districts)"}),
    "cashless": fields.Dict(metadata={
        "description": "share of e-commerce payments made cashless (target 80%), gross of refunds: {payments_vnd, "
                       "cashless_vnd, marketplace_cashless_vnd, other_channels_cashless_vnd, "
                       "other_channels_unknown_vnd, percent, target_percent}"}),
    "invoiced_share_percent": fields.Float(allow_none=True, metadata={
        "description": "API.md: e_invoice.percent (null when nothing was paid)"}),
    "cashless_share_percent": fields.Float(allow_none=True, metadata={
        "description": "API.md: cashless.percent (null when nothing was paid)"}),
}, name="EcommerceShareFigures")


class ShareSchema(ShareFiguresSchema):
    trend = fields.List(fields.Nested(ShareFiguresSchema), metadata={"description": "the preceding periods"})


class RetailTotalArgsSchema(Schema):
    total_retail_vnd = Vnd(required=True, validate=validate.Range(min=1, max=10**17))
    source = fields.String(load_default="", validate=validate.Length(max=200))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    other_channels = fields.List(fields.Nested(ChannelSchema), load_default=None,
                                 metadata={"description": "replaces the period's other channels when given"})


class ChannelsArgsSchema(Schema):
    other_channels = fields.List(fields.Nested(ChannelSchema), required=True)


def _report_json(report) -> dict:
    labeller = Labeller(report.group_by)
    name = report.group_by[0]

    def row(r, key=None, label=None):
        return {"key": key if key is not None else str(r.key), "label": label or labeller.label(name, r.key, r.label),
                "value_vnd": r.value_vnd, "gross_vnd": r.gross_vnd, "refunds_vnd": r.refunds_vnd,
                "orders": r.orders, "units": r.units, "buyers": r.buyers, "producers": r.producers}

    return {"date_from": report.date_from, "date_to": report.date_to, "group_by": name,
            "producer_id": report.producer_id,
            "rows": [row(r) for r in report.rows], "total": row(report.total, "total", "total")}


@blp.route("/stats/sales", methods=["GET"])
@blp.auth_required("admin")
@blp.arguments(SalesQuerySchema(), location="query")
@blp.response(200, SalesReportSchema)
def sales_statistics(args):
    """Paid sales (value, orders, units, buyers, producers) for a local date range, grouped."""
    return _report_json(sales_report(args["date_from"], args["date_to"], args["group_by"], args["producer_id"]))


@blp.route("/stats/ecommerce-share", methods=["GET"])
@blp.auth_required("admin")
@blp.arguments(ShareQuerySchema(), location="query")
@blp.response(200, ShareSchema)
def ecommerce_share_indicator(args):
    """Marketplace and other channels' e-commerce sales over total retail, with the year's target."""
    key = args["period"] or str(local_today().year)
    figures = share.share_trend(key) if args["trend"] else [share.ecommerce_share(key)]
    return {**figures[-1].as_dict(), "trend": [f.as_dict() for f in figures[:-1]]}


@blp.route("/retail-totals/<string:period>", methods=["PUT"])
@blp.auth_required("admin")
@blp.arguments(RetailTotalArgsSchema())
@blp.response(200, ShareSchema)
def put_retail_total(args, period: str):
    """Record a period's total retail sales (statistics office), optionally other channels' e-commerce sales."""
    share.set_retail_total(current_user, period, args["total_retail_vnd"], args["source"], args["note"],
                           args["other_channels"])
    return {**share.ecommerce_share(period).as_dict(), "trend": []}


@blp.route("/ecommerce-channels/<string:period>", methods=["PUT"])
@blp.auth_required("admin")
@blp.arguments(ChannelsArgsSchema())
@blp.response(200, ShareSchema)
def put_channel_sales(args, period: str):
    """Replace the e-commerce sales other channels reported for a period."""
    share.set_channel_sales(current_user, period, args["other_channels"])
    return {**share.ecommerce_share(period).as_dict(), "trend": []}


def _export(args, fmt: str):
    rng = date_range(args["date_from"], args["date_to"])
    producer_id = args["producer_id"]
    if args["level"] == "lines":
        check_producer(producer_id)
        table, what = lines_table(rng, producer_id), "lines"
    else:
        table, what = grouped_table(sales_report(rng.date_from, rng.date_to, args["group_by"], producer_id)), \
            args["group_by"]
    if producer_id is not None:
        what = f"{what}-producer{producer_id}"
    record(current_user, "stats.export", "export", f"{what}.{fmt}",
           note=f"{rng.date_from.isoformat()}..{rng.date_to.isoformat()} {what} {fmt}")
    db.session.commit()
    response = Response(stream_with_context(exports.chunks(table, fmt)), mimetype=exports.MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{exports.filename(rng, what, fmt)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.route("/exports/sales.csv", methods=["GET"])
@blp.auth_required("admin")
@blp.arguments(ExportQuerySchema(), location="query")
@blp.file_response("text/csv", "CSV (UTF-8 with BOM), streamed", binary=False)
def export_sales_csv(args):
    """The sales statistics (or every paid line) as CSV for Excel."""
    return _export(args, "csv")


@blp.route("/exports/sales.xlsx", methods=["GET"])
@blp.auth_required("admin")
@blp.arguments(ExportQuerySchema(), location="query")
@blp.file_response(exports.MIMETYPES["xlsx"], "XLSX workbook, streamed")
def export_sales_xlsx(args):
    """The sales statistics (or every paid line) as an Excel workbook."""
    return _export(args, "xlsx")
