"""Invoicing API (issue 25): a producer's invoice XML, month batches and issued invoices;
the admins' VAT rates. Registered under /api/v1 by marketplace.api."""
from __future__ import annotations

from flask_login import current_user
from marshmallow import Schema, fields

from ..invoicing import rates, services
from ..invoicing.requests import request_json
from ..invoicing.views import xml_response
from .common import ApiBlueprint

URL_PREFIX = ""

blp = ApiBlueprint("Invoicing", __name__, description="E-invoices of order parts; VAT rates")


def _pid() -> int:
    return current_user.producer_id


def _typed(kind: str, description: str = "", **extra):
    return fields.Raw(metadata={"type": kind, "description": description, **extra})


class PartInvoiceSchema(Schema):
    part_id = fields.Integer()
    template = fields.String(metadata={"description": "1: VAT invoice (enterprise, cooperative); 2: sales invoice"})
    invoice_request = fields.Dict(allow_none=True, metadata={
        "description": "what the buyer asked for: {kind company|person, name, tax_code, address, email}"})
    invoice = fields.Dict(allow_none=True, metadata={
        "description": "{series, number, lookup_code, issued_on, template, source, status (issued | "
                       "adjustment_due | adjusted), adjustment?}"})
    adjustment_due = fields.Boolean()
    refunded_vnd = fields.Integer()


class InvoiceWriteSchema(Schema):
    series = _typed("string", "6 characters, e.g. C26TAA (C/K, year, type letter, 2 chosen)")
    number = _typed("string", "1-8 digits")
    lookup_code = _typed("string", "the provider's lookup code (1-60 characters)")
    issued_on = _typed("string", "YYYY-MM-DD, not before the payment nor in the future", format="date")
    adjustment = fields.Boolean(load_default=False, metadata={
        "description": "true: record the adjusting invoice of a refund after issue"})


class MonthArgs(Schema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM (Asia/Ho_Chi_Minh)"})


class VatRateSchema(Schema):
    category_slug = fields.String()
    valid_from = fields.Date()
    rate = fields.String(metadata={"description": "0, 5, 8, 10 or KCT (not subject to VAT)"})
    source = fields.String()


class VatRateWriteSchema(Schema):
    category_slug = _typed("string", "an OCOP group or sub-group slug, or shipping")
    valid_from = _typed("string", "YYYY-MM-DD", format="date")
    rate = _typed("string", "0, 5, 8, 10 or KCT")
    source = _typed("string", "the legal source (at most 500 characters)")


def _state_json(part) -> dict:
    state = services.state(part)
    return {"part_id": part.id, "template": state.template, "invoice_request": request_json(state.request),
            "invoice": services.invoice_json(state.invoice, state.adjustment_due),
            "adjustment_due": state.adjustment_due, "refunded_vnd": state.refunded_vnd}


@blp.route("/seller/order-parts/<int:part_id>/invoice", methods=["GET"])
@blp.auth_required("seller")
@blp.errors(404)
@blp.response(200, PartInvoiceSchema)
def get_invoice(part_id: int):
    """The part's invoice request, issued invoice and whether an adjustment is due."""
    return _state_json(services.get_part(_pid(), part_id))


@blp.route("/seller/order-parts/<int:part_id>/invoice", methods=["PUT"])
@blp.auth_required("seller")
@blp.errors(404, 409, 422)
@blp.arguments(InvoiceWriteSchema())
@blp.response(200, PartInvoiceSchema)
def put_invoice(data, part_id: int):
    """Record the invoice issued for the part (once; 409 `invoice_already_recorded`), or with
    `adjustment: true` the adjusting invoice of a refund (409 `no_adjustment_due` when none is).
    The buyer sees it on the order page and is emailed."""
    part = services.get_part(_pid(), part_id)
    if data.get("adjustment"):
        services.record_adjustment(part, data)
    else:
        services.record_issue(part, data)
    return _state_json(services.get_part(_pid(), part_id))


@blp.route("/seller/order-parts/<int:part_id>/invoice.xml", methods=["GET"])
@blp.auth_required("seller")
@blp.errors(404, 409)
@blp.response(200, content_type="application/xml", description="the invoice data (Decision 1450/QĐ-TCT format)")
def invoice_xml(part_id: int):
    """The part's invoice data, to import into the producer's e-invoice software (unsigned)."""
    return xml_response(*services.xml_file(services.get_part(_pid(), part_id)))


@blp.route("/seller/order-parts/<int:part_id>/invoice-adjustment.xml", methods=["GET"])
@blp.auth_required("seller")
@blp.errors(404, 409)
@blp.response(200, content_type="application/xml", description="the adjusting invoice's data")
def adjustment_xml(part_id: int):
    """The adjusting invoice of a refund after issue (409 `no_adjustment_due` when none is due)."""
    return xml_response(*services.xml_file(services.get_part(_pid(), part_id), adjustment=True))


@blp.route("/seller/invoices.zip", methods=["GET"])
@blp.auth_required("seller")
@blp.errors(409, 422)
@blp.arguments(MonthArgs(), location="query")
@blp.response(200, content_type="application/zip", description="one XML file per paid part of the month")
def month_zip(args):
    """The invoice data of every paid part of a local month (409 `vat_rate_missing` when a
    group has no rate for a day of payment)."""
    data, _count = services.month_batch(_pid(), args["month"])
    return xml_response(data, f"hoadon-{args['month']}.zip", "application/zip")


@blp.route("/admin/vat-rates", methods=["GET"])
@blp.auth_required("admin")
@blp.response(200, VatRateSchema(many=True))
def list_vat_rates():
    """The VAT rate table, by group and start date."""
    return rates.all_rates()


@blp.route("/admin/vat-rates", methods=["PUT"])
@blp.auth_required("admin")
@blp.errors(422)
@blp.arguments(VatRateWriteSchema())
@blp.response(200, VatRateSchema)
def put_vat_rate(data):
    """Add or replace the rate of a group from a date."""
    return rates.set_rate(current_user, data.get("category_slug"), data.get("valid_from"), data.get("rate"),
                          data.get("source"))
