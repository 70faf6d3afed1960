"""Invoicing API (issue 25): a producer's invoice XML, month batches and issued invoices;
the admins' VAT rates. Registered under /api/v1 by marketplace.api."""
from __future__ import annotations

from flask_login import current_user
from marshmallow import Schema, fields

from ..invoicing import connection, rates, services
from ..invoicing.requests import request_json
from ..invoicing.views import xml_response
from .common import ApiBlueprint

URL_PREFIX = ""

blp = ApiBlueprint("Invoicing", __name__, description="E-invoices of order parts; VAT rates")


def _pid() -> int:
    return current_user.producer_id


def _typed(kind: str, description: str = "", **extra):
    return fields.Raw(metadata={"type": kind, "description": description, **extra})


def _day(description: str = "YYYY-MM-DD (local)", **extra):
    return fields.String(metadata={"format": "date", "description": description}, **extra)


class AskedInvoiceSchema(Schema):
    kind = fields.String(metadata={"enum": ["company", "person"]})
    name = fields.String()
    tax_code = fields.String(allow_none=True, metadata={"description": "company: its tax code"})
    address = fields.String()
    email = fields.String(metadata={"description": "where the invoice goes"})


class AdjustingInvoiceSchema(Schema):
    series = fields.String()
    number = fields.String()
    lookup_code = fields.String()
    issued_on = _day(allow_none=True)


class IssuedInvoiceSchema(Schema):
    series = fields.String(metadata={"description": "e.g. C26TAA"})
    number = fields.String()
    lookup_code = fields.String(metadata={"description": "what the buyer enters at the provider's lookup page"})
    issued_on = _day()
    template = fields.String(metadata={"enum": ["1", "2"]})
    template_code = fields.String(allow_none=True, metadata={
        "description": "the provider's template it was issued under, e.g. 1/001; null when recorded without it"})
    source = fields.String(metadata={"description": "manual (recorded by the producer) or the connector: viettel"})
    status = fields.String(metadata={"enum": ["issued", "adjustment_due", "adjusted"]})
    adjustment = fields.Nested(AdjustingInvoiceSchema, metadata={
        "description": "the adjusting invoice of a refund after issue, once recorded or issued"})


class PartInvoiceSchema(Schema):
    part_id = fields.Integer()
    template = fields.String(metadata={"enum": ["1", "2"], "description": "1: VAT invoice (enterprise, cooperative); "
                                                                           "2: sales invoice"})
    invoice_request = fields.Nested(AskedInvoiceSchema, allow_none=True, metadata={
        "description": "what the buyer asked for at checkout; null: issue it to the shopper"})
    invoice = fields.Nested(IssuedInvoiceSchema, allow_none=True, metadata={"description": "null until recorded"})
    adjustment_due = fields.Boolean(metadata={"description": "refunded or cancelled after issue"})
    refunded_vnd = fields.Integer()


class InvoiceWriteSchema(Schema):
    series = _typed("string", "6 characters, e.g. C26TAA (C/K, year, type letter, 2 chosen)")
    number = _typed("string", "1-8 digits")
    lookup_code = _typed("string", "the provider's lookup code (1-60 characters)")
    issued_on = _typed("string", "YYYY-MM-DD, not before the payment nor in the future", format="date")
    template_code = _typed("string", "optional: the provider's template code it was issued under, e.g. 1/001 "
                                     "(an adjusting invoice through a connector refers to it)")
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
    """Record the invoice issued for the part, or its adjusting invoice.

    Once: 409 `invoice_already_recorded`; with `adjustment: true` the adjusting invoice of a
    refund or cancellation after issue (409 `no_adjustment_due` when none is due); 409
    `invoice_number_used` for a series and number the producer already recorded. The buyer
    sees it on the order page and is emailed."""
    part = services.get_part(_pid(), part_id)
    if data.get("adjustment"):
        services.record_adjustment(part, data)
    else:
        services.record_issue(part, data)
    return _state_json(services.get_part(_pid(), part_id))


@blp.route("/seller/order-parts/<int:part_id>/invoice.xml", methods=["GET"])
@blp.auth_required("seller")
@blp.errors(404, 409)
@blp.file_response("application/xml", "the invoice data (Decision 1450/QĐ-TCT format), unsigned")
def invoice_xml(part_id: int):
    """The part's invoice data, to import into the producer's e-invoice software (unsigned)."""
    return xml_response(*services.xml_file(services.get_part(_pid(), part_id)))


@blp.route("/seller/order-parts/<int:part_id>/invoice-adjustment.xml", methods=["GET"])
@blp.auth_required("seller")
@blp.errors(404, 409)
@blp.file_response("application/xml", "the adjusting invoice's data (Decision 1450/QĐ-TCT format), unsigned")
def adjustment_xml(part_id: int):
    """The adjusting invoice of a refund after issue (409 `no_adjustment_due` when none is due)."""
    return xml_response(*services.xml_file(services.get_part(_pid(), part_id), adjustment=True))


def _month_file(query: Schema, media: str, description: str):
    """A producer's download of a month's invoice data: signed in as a seller, the month in the
    query (422), 409 `vat_rate_missing`, the file's media type."""
    steps = (blp.auth_required("seller"), blp.errors(409, 422), blp.arguments(query, location="query"),
             blp.file_response(media, description))

    def decorate(view):
        for step in reversed(steps):
            view = step(view)
        return view
    return decorate


@blp.route("/seller/invoices.zip", methods=["GET"])
@_month_file(MonthArgs(), "application/zip", "one XML file per paid part of the month")
def month_zip(args):
    """The invoice data of every paid part of a local month (409 `vat_rate_missing` when a
    group has no rate for a day of payment)."""
    data, _count = services.month_batch(_pid(), args["month"])
    return xml_response(data, f"hoadon-{args['month']}.zip", "application/zip")


class PeriodArgs(Schema):
    period = fields.String(required=True, metadata={"description": "a month, YYYY-MM (Asia/Ho_Chi_Minh)",
                                                    "example": "2026-01"})


@blp.route("/seller/invoices.xml", methods=["GET"])
@_month_file(PeriodArgs(), "application/xml", "a DSHDon element holding one HDon (Decision 1450/QĐ-TCT) per paid part")
def month_xml(args):
    """A month's invoice data in one XML document, for import into the producer's provider.

    Every paid part of the local month, as `/seller/invoices.zip` gives them one file each.
    409 `vat_rate_missing` when a group has no rate for a day of payment; 422 for a period
    that is not a month."""
    return xml_response(services.month_document(_pid(), args["period"]), f"hoadon-{args['period']}.xml")


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


class ConnectionSchema(Schema):
    connected = fields.Boolean(metadata={"description": "false: no provider connected (no other field then)"})
    provider = fields.String(metadata={"enum": ["viettel"], "description": "viettel (Viettel S-Invoice)"})
    provider_name = fields.String(metadata={"example": "Viettel S-Invoice"})
    username = fields.String(metadata={"description": "the producer's API user at the provider"})
    supplier_tax_code = fields.String(metadata={"description": "the tax code the invoices are issued under"})
    template_code = fields.String(metadata={"description": "the registered template, e.g. 1/001"})
    series = fields.String(metadata={"description": "the registered series, e.g. C26TAA"})
    last_tested_at = fields.String(allow_none=True, metadata={"description": "UTC, ISO 8601"})
    last_test_ok = fields.Boolean(allow_none=True)
    last_test_message = fields.String(allow_none=True)


class ConnectionWriteSchema(Schema):
    provider = _typed("string", "viettel", enum=["viettel"])
    username = _typed("string", "the producer's API user at the provider")
    password = _typed("string", "stored encrypted, never returned; leave out to keep the saved one",
                      format="password")
    supplier_tax_code = _typed("string", "the producer's tax code as registered at the provider")
    template_code = _typed("string", "the registered template, e.g. 1/001")
    series = _typed("string", "the registered series, e.g. C26TAA")


@blp.route("/seller/invoice-connection", methods=["GET"])
@blp.auth_required("seller")
@blp.response(200, ConnectionSchema)
def get_connection():
    """The producer's e-invoice provider connection (`connected: false` when none); never the password."""
    return connection.connection_json(connection.connection_of(_pid()))


@blp.route("/seller/invoice-connection", methods=["PUT"])
@blp.auth_required("seller")
@blp.errors(422)
@blp.arguments(ConnectionWriteSchema())
@blp.response(200, ConnectionSchema)
def put_connection(data):
    """Connect (or change) the producer's e-invoice provider. The password is required the first time."""
    return connection.connection_json(connection.save(_pid(), data))


@blp.route("/seller/invoice-connection", methods=["DELETE"])
@blp.auth_required("seller")
@blp.errors(404)
@blp.response(204)
def delete_connection():
    """Disconnect: the saved details and password are deleted."""
    connection.disconnect(_pid())


@blp.route("/seller/invoice-connection/test", methods=["POST"])
@blp.auth_required("seller")
@blp.errors(409)
@blp.response(200, ConnectionSchema)
def test_connection():
    """Test the connection: sign in and look the template and series up.

    The outcome is in `last_test_ok` and `last_test_message` (what is wrong: the sign-in,
    the template or series the provider does not know, with those it does, or the provider
    unreachable). 409 `not_connected`, `connection_unreadable` (enter the password again)."""
    return connection.connection_json(connection.try_connection(_pid()))


@blp.route("/seller/order-parts/<int:part_id>/invoice/issue", methods=["POST"])
@blp.auth_required("seller")
@blp.errors(404, 409, 503)
@blp.response(200, PartInvoiceSchema)
def issue_invoice(part_id: int):
    """Issue the part's invoice through the connected provider.

    Recorded on the part, the buyer emailed. 409 `not_connected`, `invoice_already_recorded`
    or `provider_rejected` (the provider's reason in `message`, its code in `provider_code`);
    503 `provider_unavailable` after retries: safe to call again, it never issues twice."""
    connection.issue(_pid(), part_id)
    return _state_json(services.get_part(_pid(), part_id))


@blp.route("/seller/order-parts/<int:part_id>/invoice/adjust", methods=["POST"])
@blp.auth_required("seller")
@blp.errors(404, 409, 503)
@blp.response(200, PartInvoiceSchema)
def adjust_invoice(part_id: int):
    """Issue the adjusting invoice of a refund after issue through the connected provider.

    A refund or cancellation after issue makes it due; it refers to the part's invoice
    (issued through the provider or recorded by hand, if the provider holds it) and decreases
    it by the refunded share of each line. Recorded on the part, the buyer emailed. 409
    `not_connected`, `no_adjustment_due` or `provider_rejected` (the provider's reason in
    `message`, its code in `provider_code`); 503 `provider_unavailable` after retries: safe
    to call again, it never adjusts twice."""
    connection.adjust(_pid(), part_id)
    return _state_json(services.get_part(_pid(), part_id))
