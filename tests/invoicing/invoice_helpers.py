"""Helpers of the invoicing tests: a company's invoice details, local instants, paid orders."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from marketplace.extensions import db as _db
from marketplace.invoicing.models import PartInvoice
from marketplace.orders.models import Order, OrderPart

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
COMPANY = {"kind": "company", "name": "Công ty TNHH Quà tặng Hạ Long", "tax_code": "0100109106",
           "address": "Số 1 Lê Thánh Tông, Phường Hồng Gai, Quảng Ninh", "email": "ketoan@quatang.vn"}


def sinvoice(standin, password: str = "secret", timeout: float = 0.5):
    """A Viettel S-Invoice connector to the stand-in, with the producer's registered template and series."""
    from marketplace.invoicing.connectors.viettel import ViettelSInvoice

    return ViettelSInvoice(standin.url, "0100112437", password, "0100112437", "1/001", "C26TAA", timeout=timeout)


def cli_issue(standin, producer_id: int, part_id: int, *extra: str) -> list[str]:
    """`flask invoices issue` for the part through the stand-in (the password in SINVOICE_PASSWORD)."""
    return ["invoices", "issue", *extra, "--producer", str(producer_id), "--part", str(part_id), "--base-url",
            standin.url, "--username", "0100112437", "--supplier-tax-code", "0100112437", "--template-code",
            "1/001", "--series", "C26TAA"]


def local(*args) -> datetime:
    return datetime(*args, tzinfo=HANOI)


def place(client, items, invoice=None, method="vietqr"):
    """Place an order through the checkout API (the cart is bypassed with `items`)."""
    body = {"contact": {"full_name": "Nguyễn Thị Lan", "phone": "0912 345 678", "email": "lan@example.vn"},
            "shipping_address": {"line1": "Số 12, phố Cao Thắng", "ward": "Phường Hạ Long", "province": "Quảng Ninh"},
            "payment_method": method, "items": [{"product_id": p.id, "quantity": q} for p, q in items]}
    if invoice is not None:
        body["invoice"] = invoice
    return client.post("/api/v1/checkout", json=body)


def mark_paid(code: str, when: datetime) -> Order:
    """Record the payment as the payments domain would (status, payment status, paid_at)."""
    _db.session.execute(sa.update(Order).where(Order.code == code).values(
        status="paid", payment_status="paid", paid_at=when))
    _db.session.commit()
    _db.session.expire_all()
    return _db.session.scalar(sa.select(Order).where(Order.code == code))


def part_of(order: Order, producer) -> OrderPart:
    _db.session.expire_all()
    return _db.session.scalar(sa.select(OrderPart).where(OrderPart.order_id == order.id,
                                                         OrderPart.producer_id == producer.id))


def paid_part(client, product, quantity: int, when: datetime) -> OrderPart:
    """The producer's part of an order of `quantity` × `product`, paid at the local instant `when`."""
    return part_of(mark_paid(place(client, [(product, quantity)]).json["order"]["code"], when), product.producer)


def record_invoice(part: OrderPart, number: str, issued_on: datetime) -> PartInvoice:
    """The part's invoice as the producer would have recorded it (VAT invoice, series C26TAA)."""
    invoice = PartInvoice(part_id=part.id, producer_id=part.producer_id, template="1", series="C26TAA",
                          number=number, lookup_code=f"L{number}", issued_on=issued_on.date(), status="issued",
                          issued_total_vnd=part.total_vnd)
    _db.session.add(invoice)
    _db.session.commit()
    return invoice
