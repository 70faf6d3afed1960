"""Open data for the provincial portal: monthly OCOP sales by product group and region.

Aggregates only (sales and units per month x OCOP group x region): no person, order or
producer appears. A period's figure is final once the month is over; the current
month's grows as sales come in. `sales_vnd` is net of refunds paid in the month (it can be
negative when they exceed the month's sales); the monthly totals give gross and refunds
apart. `ecommerce_target` is the national e-commerce share target in force for the year.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ..catalog.models import Category
from ..extensions import db
from ..timeutil import local_today
from .sales import sales_report
from .share import target_for

FIRST_YEAR = 2013  # the OCOP programme of Quảng Ninh


def ocop_sales(year: int) -> dict:
    today = local_today()
    date_to = min(date(year, 12, 31), today)
    groups = {slug: (vi, en) for slug, vi, en in db.session.execute(
        sa.select(Category.slug, Category.name_vi, Category.name_en).where(Category.parent_id.is_(None)))}
    items, months = [], {}
    if date(year, 1, 1) <= today:
        report = sales_report(date(year, 1, 1), date_to, ("month", "category", "region"))
        for row in report.rows:
            month, group, region = row.keys
            vi, en = groups.get(group, (row.labels[1], row.labels[1]))
            items.append({"month": month, "group": {"slug": group, "name_vi": vi, "name_en": en},
                          "region": {"slug": region, "name": row.labels[2]},
                          "sales_vnd": row.value_vnd, "units": row.units})
            totals = months.setdefault(month, {"month": month, "sales_vnd": 0, "gross_sales_vnd": 0,
                                               "refunds_vnd": 0, "units": 0})
            totals["sales_vnd"] += row.value_vnd
            totals["gross_sales_vnd"] += row.gross_vnd
            totals["refunds_vnd"] += row.refunds_vnd
            totals["units"] += row.units
    items.sort(key=lambda i: (i["month"], i["group"]["slug"], i["region"]["slug"]))
    return {"year": year, "currency": "VND", "timezone": "Asia/Ho_Chi_Minh",
            "complete_through": _complete_through(year, today),
            "items": items, "monthly_totals": [months[m] for m in sorted(months)],
            "ecommerce_target": target_for(year).as_dict()}


def _complete_through(year: int, today: date) -> str | None:
    """The last month of `year` that is over (its figures no longer grow), if any."""
    if year < today.year:
        return f"{year}-12"
    if year == today.year and today.month > 1:
        return f"{year}-{today.month - 1:02d}"
    return None
