"""The e-invoice fields of API.md's Order: the request at the order (`invoice`) and each
part's invoice (`parts[].invoice`). The API adds them to the Order the orders domain
builds, for a page of orders in a constant number of queries."""
from __future__ import annotations

from ..orders.models import Order, OrderPart
from ..orders.presenters import order_dict
from .models import InvoiceRequest, PartInvoice
from .requests import request_json, requests_for
from .services import invoices_for, refunds_for


REQUEST_KEYS = ("kind", "name", "tax_code", "address", "email")


def part_invoice_json(asked: InvoiceRequest | dict | None, invoice: PartInvoice | None, refunded: int) -> dict | None:
    """`{status, series, number, lookup_code, issued_on, adjustment?}`: status `requested` until
    the producer records it, then `issued`, `adjustment_due` (refunded after issue) or
    `adjusted`; None when nothing was asked nor issued."""
    if invoice is None:
        return None if asked is None else {"status": "requested", "series": None, "number": None,
                                           "lookup_code": None, "issued_on": None}
    status = "adjustment_due" if invoice.status != "adjusted" and refunded > 0 else invoice.status
    body = {"status": status, "series": invoice.series, "number": invoice.number,
            "lookup_code": invoice.lookup_code, "issued_on": invoice.issued_on.isoformat()}
    if invoice.adjust_number:
        body["adjustment"] = {"series": invoice.adjust_series, "number": invoice.adjust_number,
                              "lookup_code": invoice.adjust_lookup_code,
                              "issued_on": invoice.adjusted_on.isoformat() if invoice.adjusted_on else None}
    return body


def add_invoices(bodies: list[dict], orders: list[Order]) -> None:
    """Add `invoice` to each Order body and `invoice` to each of its parts (the parts the
    viewer sees, as the body lists them); three queries whatever the number of orders."""
    asked = requests_for(order.id for order in orders)
    parts = {part.id: part for order in orders for part in order.parts}
    shown = [parts[p["id"]] for body in bodies for p in body["parts"] if p["id"] in parts]
    invoices = invoices_for(part.id for part in shown)
    refunded = refunds_for([part for part in shown if part.id in invoices])
    for body, order in zip(bodies, orders):
        request = asked.get(order.id)
        body["invoice"] = request_json(request)
        for part in body["parts"]:
            part["invoice"] = part_invoice_json(request, invoices.get(part["id"]), refunded.get(part["id"], 0))


def order_with_invoices(order: Order, parts: list[OrderPart] | None = None) -> dict:
    """`orders.presenters.order_dict` with the e-invoice fields."""
    body = order_dict(order, parts)
    add_invoices([body], [order])
    return body


def placed_order_json(order: Order, asked: dict | None) -> dict:
    """A just placed order with its e-invoice fields, from what the checkout stored (no query:
    no part has an invoice yet)."""
    body = order_dict(order)
    body["invoice"] = None if asked is None else {key: asked.get(key) for key in REQUEST_KEYS}
    for part in body["parts"]:
        part["invoice"] = part_invoice_json(asked, None, 0)
    return body
