"""A producer's own sales: revenue and units by month and by product, and a CSV.

No rule of its own: the figures are the marketplace's sales statistics
(`stats.sales.sales_report`) for this producer's lines only, so the seller portal and
the province's statistics always agree (lines of paid orders count in the local month
of payment; succeeded refunds reduce the local month of the refund by their goods
share; shipping is not revenue; orders never paid never count).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from ..spreadsheet import csv_writer
from ..stats.sales import SalesRow, sales_report
from ..timeutil import add_months, local_today


@dataclass
class ProducerSales:
    date_from: date
    date_to: date
    by_month: list[SalesRow]
    by_product: list[SalesRow]
    by_month_product: list[tuple[str, SalesRow]]  # (YYYY-MM, row labelled with the product's name)
    total: SalesRow
    months: list[tuple[str, int, int]]  # every month of the range: (YYYY-MM, net VND, units), zeros included


def default_range(today: date | None = None) -> tuple[date, date]:
    """The last twelve local months, this one included."""
    today = today or local_today()
    return add_months(today.replace(day=1), -11), today


def producer_sales(producer_id: int, date_from: date | None = None, date_to: date | None = None,
                   with_month_product: bool = False) -> ProducerSales:
    if date_from is None and date_to is None:
        date_from, date_to = default_range()
    by_month = sales_report(date_from, date_to, "month", producer_id=producer_id)
    by_product = sales_report(by_month.date_from, by_month.date_to, "product", producer_id=producer_id)
    cells = []
    if with_month_product:
        both = sales_report(by_month.date_from, by_month.date_to, ("month", "product"), producer_id=producer_id)
        cells = sorted(((row.keys[0], SalesRow(row.keys[1:], row.labels[1:], row.gross_vnd, row.refunds_vnd,
                                               row.orders, row.units, row.buyers, row.producers))
                        for row in both.rows), key=lambda mc: (mc[0], mc[1].label))
    months, rows, month = [], {r.key: r for r in by_month.rows}, by_month.date_from.replace(day=1)
    while month <= by_month.date_to:
        key = month.strftime("%Y-%m")
        row = rows.get(key)
        months.append((key, row.value_vnd if row else 0, row.units if row else 0))
        month = add_months(month, 1)
    return ProducerSales(by_month.date_from, by_month.date_to, by_month.rows, by_product.rows, cells,
                         by_month.total, months)


CSV_COLUMNS = ("month", "product", "units", "gross_vnd", "refunds_vnd", "net_vnd")


def sales_csv(producer_id: int, date_from: date | None = None, date_to: date | None = None) -> bytes:
    """One row per month and product, then the total (UTF-8 with BOM, for Excel)."""
    summary = producer_sales(producer_id, date_from, date_to, with_month_product=True)
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(CSV_COLUMNS)
    for month, row in summary.by_month_product:
        writer.writerow([month, row.label, row.units, row.gross_vnd, row.refunds_vnd, row.value_vnd])
    t = summary.total
    writer.writerow(["total", "", t.units, t.gross_vnd, t.refunds_vnd, t.value_vnd])
    return out.getvalue().encode("utf-8-sig")
