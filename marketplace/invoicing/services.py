"""Invoices of order parts: the data and XML to import into a provider, the issued
invoice's record, and the adjustment a refund after issue makes due.

The marketplace never signs for a producer: it builds the data; the producer issues the
invoice in its own e-invoice software (or through a connector) and records what it got.
"""
from __future__ import annotations

from flask_babel import gettext

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager

from ..catalog.models import Category, Product
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..links import public_base_url
from ..mail.language import send_in
from ..orders.models import Order, OrderLine, OrderPart
from ..payments.models import Refund
from ..payments.providers import get_gateway
from ..timeutil import Period, local_start_utc, parse_period, to_local, utcnow
from ..validators import clean_text, parse_date
from . import rates
from .models import InvoiceRequest, PartInvoice
from .requests import request_for
from .xmldoc import InvoiceData, Line, Party, Related, build, build_many

# The producer's kind decides the invoice: enterprises and cooperatives declare VAT by the
# credit method (VAT invoice, template 1); household businesses and cooperative groups use
# the direct method (sales invoice, template 2) (Decree 123/2020/NĐ-CP, Article 8).
VAT_INVOICE_KINDS = ("enterprise", "cooperative")
_SERIES = re.compile(r"^[CK]\d{2}[TDLMNBGH][A-Z0-9]{2}$")
_NUMBER = re.compile(r"^\d{1,8}$")
# The template code as the provider registers it: the invoice type digit and a 3-digit number
# ("1/001", "2/002"); older registrations carry the form name ("01GTKT0/001").
TEMPLATE_CODE = re.compile(r"^(?:[12]|0[12][A-Z]{4}\d)/\d{3}$")


def template_for(producer_kind: str) -> str:
    return "1" if producer_kind in VAT_INVOICE_KINDS else "2"


# --------------------------------------------------------------------------- lookups

def _parts_query(producer_id: int) -> sa.Select:
    return (sa.select(OrderPart).join(Order, Order.id == OrderPart.order_id)
            .where(OrderPart.producer_id == producer_id, Order.paid_at.is_not(None))
            .options(contains_eager(OrderPart.order)))


def get_part(producer_id: int, part_id) -> OrderPart:
    """The producer's own part of a paid order; NotFound for any other."""
    try:
        part_id = int(part_id)
    except (TypeError, ValueError):
        part_id = 0
    part = db.session.scalars(_parts_query(producer_id).where(OrderPart.id == part_id)).first()
    if part is None:
        raise NotFound(gettext("Order not found"))
    return part


def invoice_of(part_id: int) -> PartInvoice | None:
    return db.session.scalar(sa.select(PartInvoice).where(PartInvoice.part_id == part_id))


def invoices_for(part_ids) -> dict[int, PartInvoice]:
    ids = sorted(set(part_ids))
    if not ids:
        return {}
    return {row.part_id: row for row in db.session.scalars(sa.select(PartInvoice)
                                                             .where(PartInvoice.part_id.in_(ids)))}


def refunded_vnd(part: OrderPart) -> int:
    """What the buyer gets back for the part: its refunds (but failed ones); a part cancelled
    or refunded without a refund row counts whole."""
    return refunds_for([part])[part.id]


def refunds_for(parts: list[OrderPart]) -> dict[int, int]:
    """`refunded_vnd` of each part, in one query."""
    if not parts:
        return {}
    sums = dict(db.session.execute(
        sa.select(Refund.part_id, sa.func.coalesce(sa.func.sum(Refund.amount_vnd), 0))
        .where(Refund.part_id.in_(sorted({p.id for p in parts})), Refund.status != "failed")
        .group_by(Refund.part_id)).all())
    found = {}
    for part in parts:
        total = int(sums.get(part.id) or 0)
        if not total and part.status in ("cancelled", "refunded"):
            total = part.total_vnd
        found[part.id] = min(total, part.total_vnd)
    return found


@dataclass
class InvoiceState:
    part: OrderPart
    request: InvoiceRequest | None
    invoice: PartInvoice | None
    refunded_vnd: int
    template: str

    @property
    def adjustment_due(self) -> bool:
        return self.invoice is not None and self.invoice.status != "adjusted" and self.refunded_vnd > 0


def state(part: OrderPart) -> InvoiceState:
    invoice = invoice_of(part.id)
    return InvoiceState(part, request_for(part.order_id), invoice, refunded_vnd(part) if invoice else 0,
                        template_for(part.producer.kind))


def invoice_json(invoice: PartInvoice | None, due: bool = False) -> dict | None:
    if invoice is None:
        return None
    body = {"series": invoice.series, "number": invoice.number, "lookup_code": invoice.lookup_code,
            "issued_on": invoice.issued_on.isoformat(), "template": invoice.template,
            "template_code": invoice.template_code, "source": invoice.source,
            "status": "adjustment_due" if due else invoice.status}
    if invoice.adjust_number:
        body["adjustment"] = {"series": invoice.adjust_series, "number": invoice.adjust_number,
                              "lookup_code": invoice.adjust_lookup_code,
                              "issued_on": invoice.adjusted_on.isoformat() if invoice.adjusted_on else None}
    return body


# --------------------------------------------------------------------------- data and XML

def _line_rows(part_ids: list[int]) -> dict[int, list[tuple[OrderLine, str, str | None]]]:
    """Each part's lines with the product's category slug and its group's slug (one query)."""
    parent = sa.orm.aliased(Category)
    rows = db.session.execute(
        sa.select(OrderLine, Category.slug, parent.slug)
        .join(Product, Product.id == OrderLine.product_id)
        .join(Category, Category.id == Product.category_id)
        .outerjoin(parent, parent.id == Category.parent_id)
        .where(OrderLine.part_id.in_(part_ids)).order_by(OrderLine.id)).all()
    found: dict[int, list] = {}
    for line, slug, group in rows:
        found.setdefault(line.part_id, []).append((line, slug, group))
    return found


def _buyer(order: Order, request: InvoiceRequest | None) -> Party:
    if request is None:
        return Party(name=order.contact_name, address=f"{order.ship_line1}, {order.ship_ward}, {order.ship_province}",
                     phone=order.contact_phone, email=order.contact_email)
    return Party(name=request.name, tax_code=request.tax_code,
                 address=request.address or f"{order.ship_line1}, {order.ship_ward}, {order.ship_province}",
                 email=request.email)


def invoice_data(part: OrderPart, request: InvoiceRequest | None = None, table=None, lines=None,
                 on: date | None = None) -> InvoiceData:
    """The invoice of a paid part: seller, buyer, lines (with the shipping fee) and rates of its day."""
    order, producer = part.order, part.producer
    template = template_for(producer.kind)
    day = on or to_local(order.paid_at).date()
    table = rates.rate_table() if table is None else table
    rows = _line_rows([part.id]).get(part.id, []) if lines is None else lines

    def rate_of(*slugs) -> str | None:
        if template != "1":
            return None
        rate = rates.rate_on(table, [s for s in slugs if s], day)
        if rate is None:
            raise Conflict(gettext("No VAT rate for group %(group)s on %(day)s", group=slugs[0],
                                   day=day.isoformat()), code="vat_rate_missing")
        return rate

    items = [Line(code=str(line.product_id), name=line.product_name, unit=line.unit, quantity=line.quantity,
                  gross_vnd=line.line_total_vnd, rate=rate_of(slug, group)) for line, slug, group in rows]
    if part.shipping_vnd:
        items.append(Line(code="VC", name="Phí vận chuyển", unit="Lần", quantity=1, gross_vnd=part.shipping_vnd,
                          rate=rate_of(rates.SHIPPING)))
    seller = Party(name=producer.name, tax_code=producer.tax_code, address=producer.address or "",
                   phone=producer.phone, email=producer.email)
    return InvoiceData(template=template, issued_on=day, seller=seller, buyer=_buyer(order, request),
                       lines=items, payment_method=get_gateway(order.payment_method).invoice_payment_method,
                       platform_tax_code=current_app.config.get("INVOICE_PLATFORM_TAX_CODE") or "")


def part_xml(part: OrderPart) -> bytes:
    return build(invoice_data(part, request_for(part.order_id)))


def adjustment_data(part: OrderPart) -> InvoiceData:
    """The adjusting invoice (decrease) of an issued part's refund: the refunded share of each line."""
    current = state(part)
    if not current.adjustment_due:
        raise Conflict(gettext("No adjustment is due for this part"), code="no_adjustment_due")
    invoice = current.invoice
    data = invoice_data(part, current.request)
    refund, total = current.refunded_vnd, data.total_vnd
    if refund < total:
        left = refund
        for index, line in enumerate(data.lines):
            share = left if index == len(data.lines) - 1 else round(line.gross_vnd * refund / total)
            share = min(share, left, line.gross_vnd)
            left -= share
            line.gross_vnd = share
        data.lines = [line for line in data.lines if line.gross_vnd]
    data.sign = -1
    data.issued_on = to_local(utcnow()).date()
    data.related = Related(template=invoice.template, series=invoice.series, number=invoice.number,
                           issued_on=invoice.issued_on, template_code=invoice.template_code,
                           note=f"Điều chỉnh giảm do hoàn tiền đơn hàng {part.order.code}")
    return data


def adjustment_xml(part: OrderPart) -> bytes:
    return build(adjustment_data(part))


def xml_name(part: OrderPart, adjustment: bool = False) -> str:
    return f"hoadon-{part.order.code}-{part.id}{'-dieuchinh' if adjustment else ''}.xml"


def xml_file(part: OrderPart, adjustment: bool = False) -> tuple[bytes, str]:
    """The part's invoice XML (or its adjusting invoice's) and the file name to download it as."""
    return (adjustment_xml(part) if adjustment else part_xml(part)), xml_name(part, adjustment)


def _month_invoices(producer_id: int, month: str, field: str = "month") -> list[tuple[OrderPart, InvoiceData]]:
    """The invoice data of every paid part of the producer in a local month ('2026-03')."""
    try:
        period: Period = parse_period(month)
    except ValueError:
        period = None
    if period is None or period.kind != "month":
        raise ValidationFailed(gettext("Month as YYYY-MM"), fields={field: ["YYYY-MM"]})
    start, end = local_start_utc(period.start), local_start_utc(period.end)
    parts = list(db.session.scalars(_parts_query(producer_id)
                                    .where(Order.paid_at >= start, Order.paid_at < end)
                                    .order_by(Order.paid_at, OrderPart.id)).unique())
    table, lines = rates.rate_table(), _line_rows([p.id for p in parts])
    requests = {r.order_id: r for r in db.session.scalars(
        sa.select(InvoiceRequest).where(InvoiceRequest.order_id.in_([p.order_id for p in parts])))} if parts else {}
    return [(part, invoice_data(part, requests.get(part.order_id), table=table, lines=lines.get(part.id, [])))
            for part in parts]


def month_batch(producer_id: int, month: str) -> tuple[bytes, int]:
    """A zip of the XML of every paid part of the producer in a local month ('2026-03'); and how many."""
    invoices = _month_invoices(producer_id, month)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, data in invoices:
            archive.writestr(xml_name(part), build(data))
    return buffer.getvalue(), len(invoices)


def month_document(producer_id: int, month: str) -> bytes:
    """The same month in one XML document (API.md's /seller/invoices.xml): a DSHDon of HDon."""
    return build_many([data for _part, data in _month_invoices(producer_id, month, field="period")])


# --------------------------------------------------------------------------- recording

def _clean_issue(fields: dict) -> tuple[str, str, str, date]:
    errors: dict[str, list[str]] = {}
    series = str(fields.get("series") or "").strip().upper()
    if not _SERIES.match(series):
        errors["series"] = [gettext("A 6-character series, e.g. C26TAA")]
    number = str(fields.get("number") or "").strip()
    if not _NUMBER.match(number) or int(number) == 0:
        errors["number"] = [gettext("The number has 1 to 8 digits")]
    try:
        lookup = clean_text(fields.get("lookup_code"))
    except ValueError as exc:
        errors["lookup_code"], lookup = [str(exc)], ""
    if not lookup or len(lookup) > 60 or " " in lookup:
        errors["lookup_code"] = [gettext("A lookup code of 1-60 characters, no spaces")]
    try:
        issued_on = parse_date(fields.get("issued_on"))
        if issued_on > to_local(utcnow()).date():
            errors["issued_on"] = [gettext("The date cannot be in the future")]
    except ValueError:
        errors["issued_on"], issued_on = [gettext("Invalid date")], None
    if errors:
        raise ValidationFailed(gettext("Please check the invoice details"), fields=errors)
    return series, number.lstrip("0"), lookup, issued_on


def _clean_template_code(fields: dict) -> str | None:
    """The optional template code of an issued invoice ("1/001"); None when not given."""
    value = fields.get("template_code")
    code = value.strip().upper() if isinstance(value, str) else ""
    if value not in (None, "") and not TEMPLATE_CODE.match(code):
        raise ValidationFailed(gettext("Please check the invoice details"), fields={
            "template_code": [gettext("The template code as registered, e.g. 1/001")]})
    return code or None


def _check_unused(producer_id: int, series: str, number: str) -> None:
    """409 `invoice_number_used` when the producer already recorded this series and number,
    as an invoice or as an adjusting invoice."""
    clash = db.session.scalar(sa.select(PartInvoice.id).where(
        PartInvoice.producer_id == producer_id,
        sa.or_(sa.and_(PartInvoice.series == series, PartInvoice.number == number),
               sa.and_(PartInvoice.adjust_series == series, PartInvoice.adjust_number == number))))
    if clash:
        raise Conflict(gettext("This invoice number is already used"),
                       code="invoice_number_used")


def _not_before(issued_on: date, earliest: date, message: str) -> None:
    if issued_on < earliest:
        raise ValidationFailed(message, fields={"issued_on": ["≥ " + earliest.isoformat()]})


def record_issue(part: OrderPart, fields: dict, source: str = "manual",
                 transaction_uuid: str | None = None) -> PartInvoice:
    """Record the invoice issued for a part (once); the buyer is emailed after the commit."""
    series, number, lookup, issued_on = _clean_issue(fields)
    template_code = _clean_template_code(fields)
    _not_before(issued_on, to_local(part.order.paid_at).date(), gettext("The date is before the payment"))
    if invoice_of(part.id) is not None:
        raise Conflict(gettext("This part's invoice is already recorded"),
                       code="invoice_already_recorded")
    _check_unused(part.producer_id, series, number)
    invoice = PartInvoice(part_id=part.id, producer_id=part.producer_id, template=template_for(part.producer.kind),
                          template_code=template_code, series=series, number=number, lookup_code=lookup, issued_on=issued_on, source=source,
                          transaction_uuid=transaction_uuid, status="issued", issued_total_vnd=part.total_vnd)
    db.session.add(invoice)
    db.session.flush()
    _email_buyer(part, invoice)
    db.session.commit()
    return invoice


def record_adjustment(part: OrderPart, fields: dict) -> PartInvoice:
    """Record the adjusting invoice of a refund after issue (by hand or from a connector);
    the buyer sees it on the order page and is emailed, in the order's language."""
    current = state(part)
    if not current.adjustment_due:
        raise Conflict(gettext("No adjustment is due for this part"), code="no_adjustment_due")
    series, number, lookup, issued_on = _clean_issue(fields)
    invoice = current.invoice
    _not_before(issued_on, invoice.issued_on, gettext("The adjusting invoice cannot be dated before the invoice "
                                                      "it adjusts"))
    _check_unused(part.producer_id, series, number)
    invoice.adjust_series, invoice.adjust_number, invoice.adjust_lookup_code = series, number, lookup
    invoice.adjusted_on, invoice.status = issued_on, "adjusted"
    db.session.flush()
    _email_buyer(part, invoice, adjustment=True)
    db.session.commit()
    return invoice


def _email_buyer(part: OrderPart, invoice: PartInvoice, adjustment: bool = False) -> None:
    """Through the outbox, in the order's language: the invoice issued, or its adjusting invoice."""
    order = part.order
    request = request_for(order.id)
    to = request.email if request is not None else order.contact_email
    order_url = f"{public_base_url()}/orders/{order.code}"
    template = "invoicing/email/adjusted.txt" if adjustment else "invoicing/email/issued.txt"
    send_in(order.contact_lang, to, lambda: (
        gettext("[OCOP] Adjusting e-invoice for order %(code)s", code=order.code) if adjustment
        else gettext("[OCOP] E-invoice for order %(code)s", code=order.code),
        current_app.jinja_env.get_template(template).render(
            order=order, part=part, invoice=invoice, order_url=order_url,
            refunded_vnd=refunded_vnd(part) if adjustment else 0)))
