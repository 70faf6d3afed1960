"""A producer's own sales: revenue and units by month and by product, and a CSV.

The rules are the marketplace's definition of a sale (API.md): lines of paid orders
count in the local month of payment; a succeeded refund of one of the producer's
parts reduces sales in the local month of the refund, by its goods share
(amount × goods / (goods + shipping)) spread over the part's lines in proportion to
their totals, to the dong. Shipping is not revenue. Orders that are unpaid,
cancelled or expired never count, nor do their refunds.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from ..errors import ValidationFailed
from ..extensions import db
from ..orders.models import Order, OrderLine, OrderPart
from ..payments.models import Refund
from ..timeutil import add_months, local_start_utc, local_today, month_key

EXCLUDED_ORDER_STATUSES = ("pending_payment", "cancelled", "expired")


@dataclass
class Row:
    key: str
    label: str
    units: int = 0
    gross_vnd: int = 0
    refunds_vnd: int = 0
    orders: set = field(default_factory=set)

    @property
    def value_vnd(self) -> int:
        return self.gross_vnd - self.refunds_vnd


@dataclass
class ProducerSales:
    date_from: date
    date_to: date
    by_month: list[Row]
    by_product: list[Row]
    by_month_product: list[tuple[str, Row]]
    total: Row
    months: list[tuple[str, int, int]]  # every month of the range: (YYYY-MM, net VND, units), zeros included


def default_range(today: date | None = None) -> tuple[date, date]:
    """The last twelve local months, this one included."""
    today = today or local_today()
    return add_months(today.replace(day=1), -11), today


def _allocate(amount: int, weights: list[int]) -> list[int]:
    """Split `amount` over `weights` in proportion, in whole dong, summing exactly (largest remainder)."""
    total = sum(weights)
    if total <= 0 or amount == 0:
        return [0] * len(weights)
    shares = [amount * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def producer_sales(producer_id: int, date_from: date | None = None, date_to: date | None = None) -> ProducerSales:
    if date_from is None and date_to is None:
        date_from, date_to = default_range()
    date_to = date_to or local_today()
    date_from = date_from or date_to.replace(month=1, day=1)
    if date_from > date_to:
        raise ValidationFailed("'from' phải trước 'to' / 'from' must not be after 'to'",
                               fields={"from": ["must not be after 'to'"]})
    start, end = local_start_utc(date_from), local_start_utc(date_to + timedelta(days=1))
    counted = sa.and_(Order.paid_at.is_not(None), Order.status.not_in(EXCLUDED_ORDER_STATUSES))
    base = (sa.select(OrderLine.product_id, OrderLine.product_name, OrderLine.quantity, OrderLine.line_total_vnd,
                      Order.id)
            .join(OrderPart, OrderPart.id == OrderLine.part_id).join(Order, Order.id == OrderPart.order_id)
            .where(OrderPart.producer_id == producer_id, counted))
    cells: dict[tuple[str, int], Row] = {}
    names: dict[int, str] = {}

    def cell(month: str, product_id: int, name: str) -> Row:
        names.setdefault(product_id, name)
        return cells.setdefault((month, product_id), Row(month, name))

    for product_id, name, quantity, amount, order_id, paid_at in db.session.execute(
            base.add_columns(Order.paid_at).where(Order.paid_at >= start, Order.paid_at < end)):
        row = cell(month_key(paid_at), product_id, name)
        row.units += quantity
        row.gross_vnd += amount
        row.orders.add(order_id)

    refunds = db.session.execute(
        sa.select(Refund.id, Refund.amount_vnd, Refund.refunded_at, OrderPart.shipping_vnd, OrderLine.product_id,
                  OrderLine.product_name, OrderLine.line_total_vnd)
        .join(OrderPart, OrderPart.id == Refund.part_id).join(Order, Order.id == OrderPart.order_id)
        .join(OrderLine, OrderLine.part_id == OrderPart.id)
        .where(OrderPart.producer_id == producer_id, counted, Refund.status == "succeeded",
               Refund.refunded_at >= start, Refund.refunded_at < end)
        .order_by(Refund.id, OrderLine.id)).all()
    by_refund: dict[int, list] = defaultdict(list)
    for record in refunds:
        by_refund[record[0]].append(record)
    for lines in by_refund.values():
        amount, refunded_at, shipping = lines[0][1], lines[0][2], lines[0][3]
        goods = sum(r[6] for r in lines)
        goods_refund = min(goods, amount * goods // (goods + shipping)) if goods + shipping else 0
        for record, share in zip(lines, _allocate(goods_refund, [r[6] for r in lines])):
            cell(month_key(refunded_at), record[4], record[5]).refunds_vnd += share

    by_month: dict[str, Row] = {}
    by_product: dict[int, Row] = {}
    total = Row("total", "total")
    for (month, product_id), c in cells.items():
        for target in (by_month.setdefault(month, Row(month, month)),
                       by_product.setdefault(product_id, Row(str(product_id), names[product_id])), total):
            target.units += c.units
            target.gross_vnd += c.gross_vnd
            target.refunds_vnd += c.refunds_vnd
            target.orders |= c.orders
    months = []
    month = date_from.replace(day=1)
    while month <= date_to:
        key = month.strftime("%Y-%m")
        row = by_month.get(key)
        months.append((key, row.value_vnd if row else 0, row.units if row else 0))
        month = add_months(month, 1)
    return ProducerSales(
        date_from, date_to, sorted(by_month.values(), key=lambda r: r.key),
        sorted(by_product.values(), key=lambda r: (-r.value_vnd, r.label)),
        sorted(((month, c) for (month, _pid), c in cells.items()), key=lambda mc: (mc[0], mc[1].label)),
        total, months)


CSV_COLUMNS = ("month", "product", "units", "gross_vnd", "refunds_vnd", "net_vnd")


def sales_csv(producer_id: int, date_from: date | None = None, date_to: date | None = None) -> bytes:
    """One row per month and product, then the total (UTF-8 with BOM, for Excel)."""
    summary = producer_sales(producer_id, date_from, date_to)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for month, row in summary.by_month_product:
        writer.writerow([month, row.label, row.units, row.gross_vnd, row.refunds_vnd, row.value_vnd])
    t = summary.total
    writer.writerow(["total", "", t.units, t.gross_vnd, t.refunds_vnd, t.value_vnd])
    return out.getvalue().encode("utf-8-sig")
