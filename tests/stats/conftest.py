"""Hand-built orders with exact payment and refund instants, for the statistics tests."""
from __future__ import annotations

import itertools
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from marketplace.extensions import db as _db
from marketplace.orders.models import Order, OrderLine, OrderPart
from marketplace.payments.models import Refund

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
_codes = itertools.count(1)


def local(*args) -> datetime:
    """A local (UTC+7) wall-clock time as an aware instant."""
    return datetime(*args, tzinfo=HANOI)


class Shop:
    def order(self, lines, paid_at: datetime | None, status: str = "paid", user=None, email: str = "khach@example.vn",
              shipping_vnd: int = 0) -> Order:
        """`lines`: [(product, quantity)] at the product's price; one part per producer, each with `shipping_vnd`."""
        n = next(_codes)
        parts: dict[int, OrderPart] = {}
        for product, quantity in lines:
            part = parts.get(product.producer_id)
            if part is None:
                part = parts[product.producer_id] = OrderPart(producer_id=product.producer_id, subtotal_vnd=0,
                                                              shipping_vnd=shipping_vnd, status="confirmed")
            total = product.price_vnd * quantity
            part.lines.append(OrderLine(product_id=product.id, product_name=product.name, unit=product.unit,
                                        unit_price_vnd=product.price_vnd, quantity=quantity, line_total_vnd=total))
            part.subtotal_vnd += total
        subtotal = sum(p.subtotal_vnd for p in parts.values())
        shipping = shipping_vnd * len(parts)
        order = Order(code=f"QN{n:06d}", user_id=user.id if user else None, status=status, contact_name="Khách",
                      contact_phone="0912345678", contact_email=email, ship_line1="1 Lê Thánh Tông",
                      ship_ward="Hồng Gai", ship_province="Quảng Ninh", subtotal_vnd=subtotal,
                      shipping_vnd=shipping, total_vnd=subtotal + shipping, payment_method="vietqr",
                      payment_status="paid" if paid_at else "unpaid", payment_reference=f"OCOP{n:06d}",
                      payment_due_at=paid_at or datetime(2025, 1, 1, tzinfo=timezone.utc), paid_at=paid_at)
        order.parts = list(parts.values())
        _db.session.add(order)
        _db.session.commit()
        return order

    def refund(self, order: Order, amount_vnd: int, refunded_at: datetime, part: OrderPart | None = None,
               status: str = "succeeded") -> Refund:
        refund = Refund(order_id=order.id, part_id=part.id if part else None, amount_vnd=amount_vnd, method="manual",
                        status=status, refunded_at=refunded_at if status == "succeeded" else None)
        _db.session.add(refund)
        _db.session.commit()
        return refund


@pytest.fixture
def shop(db):
    return Shop()
