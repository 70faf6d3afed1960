"""Orders as the JSON shapes of API.md (used by the API and by tests)."""
from __future__ import annotations

from ..timeutil import isoformat_local
from . import line_lots
from .carriers import carrier_name, tracking_url
from .models import Order, OrderPart
from .services import order_history, part_history


def _history(events) -> list[dict]:
    return [{"status": e.to_status, "at": isoformat_local(e.created_at), "note": e.note} for e in events]


def tracking_dict(part: OrderPart) -> dict:
    return {"carrier": part.carrier, "carrier_name": carrier_name(part.carrier), "number": part.tracking_number,
            "url": tracking_url(part.carrier, part.tracking_number, part.order.contact_phone), "shipped_at": isoformat_local(part.shipped_at),
            "delivered_at": isoformat_local(part.delivered_at)}


def part_dict(order: Order, part: OrderPart, with_prices: bool = True, lots: dict | None = None) -> dict:
    """`lots`: the lines' lots (line_lots.for_parts) when the caller looked them up for many parts."""
    if lots is None:
        lots = line_lots.for_parts([part])
    items = []
    for line in part.lines:
        item = {"product_id": line.product_id, "name": line.product_name, "unit": line.unit,
                "quantity": line.quantity,
                "lots": [{"id": x["id"], "code": x["code"], "quantity": x["quantity"],
                          "passport_url": x["passport_url"]} for x in lots.get(line.id, [])]}
        if with_prices:
            item.update(unit_price_vnd=line.unit_price_vnd, line_total_vnd=line.line_total_vnd)
        items.append(item)
    out = {"id": part.id, "producer": {"id": part.producer.id, "name": part.producer.name},
           "status": part.status, "items": items}
    if with_prices:
        out.update(subtotal_vnd=part.subtotal_vnd, shipping_vnd=part.shipping_vnd, total_vnd=part.total_vnd)
    out.update(tracking=tracking_dict(part), history=_history(part_history(order, part)))
    return out


def visible_totals(order: Order, parts: list[OrderPart]) -> dict:
    """Subtotal, shipping and total of what this viewer may see: the whole order, or (a seller
    of a multi-producer order) only their own parts, never what the other producers sold."""
    if len(parts) == len(order.parts):
        return {"subtotal_vnd": order.subtotal_vnd, "shipping_vnd": order.shipping_vnd, "total_vnd": order.total_vnd}
    return {"subtotal_vnd": sum(p.subtotal_vnd for p in parts), "shipping_vnd": sum(p.shipping_vnd for p in parts),
            "total_vnd": sum(p.total_vnd for p in parts)}


def payment_dict(order: Order, amount_vnd: int | None = None) -> dict:
    """The order's payment; `amount_vnd` is what the viewer may see of it (default: all)."""
    amount = order.total_vnd if amount_vnd is None else amount_vnd
    return {"method": order.payment_method, "status": order.payment_status, "amount_vnd": amount,
            "reference": order.payment_reference, "due_at": isoformat_local(order.payment_due_at),
            "paid_at": isoformat_local(order.paid_at)}


def order_dict(order: Order, parts: list[OrderPart] | None = None, lots: dict | None = None) -> dict:
    """The Order of API.md. `parts` limits what a seller sees to their own part; `lots`: the
    lines' lots when the caller looked them up for a whole page of orders."""
    parts = order.parts if parts is None else parts
    totals = visible_totals(order, parts)
    if lots is None:
        lots = line_lots.for_parts(parts)
    return {
        "code": order.code,
        "status": order.status,
        "created_at": isoformat_local(order.created_at),
        "contact": {"full_name": order.contact_name, "phone": order.contact_phone, "email": order.contact_email},
        "shipping_address": {"line1": order.ship_line1, "ward": order.ship_ward, "province": order.ship_province},
        "note": order.note,
        **totals,
        "payment": payment_dict(order, totals["total_vnd"]),
        "parts": [part_dict(order, p, lots=lots) for p in parts],
        "history": _history(order_history(order)),
    }


def public_tracking_dict(order: Order) -> dict:
    """What anyone holding the code and phone may see: statuses and timeline, no personal data."""
    lots = line_lots.for_parts(order.parts)
    return {
        "code": order.code,
        "status": order.status,
        "created_at": isoformat_local(order.created_at),
        "payment": {"method": order.payment_method, "status": order.payment_status},
        "parts": [part_dict(order, p, with_prices=False, lots=lots) for p in order.parts],
        "history": _history(order_history(order)),
    }
