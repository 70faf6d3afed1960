"""Open data for the provincial portal: monthly OCOP sales by product group and region.

Aggregates only, and only of closed periods: a month is published once it is over (its
figures no longer grow, and today's sales are nobody's business yet). No cell may let a
reader work out one seller's or one buyer's sales, so a cell (month x OCOP group x
region) is published only when at least MIN_PRODUCERS producers and MIN_ORDERS orders
make it up. The sales of smaller cells are merged, first into the group's "other
regions" cell of the month, then into the month's "other groups" cell; what still falls
short is left out, and so the month's totals are the sums of the published cells, with
the number of cells left out. Counts of a merged cell are taken at their lowest possible
value (the month's or group's count less those of the published cells: an order can
span several cells), so a merged cell never passes on a guess.
"""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import force_locale, gettext

from ..catalog.models import Category
from ..extensions import LANGUAGES, db
from ..orders.models import Order, OrderPart
from ..timeutil import local_start_utc, local_today
from .invoices import CASHLESS_TARGET, INVOICE_TARGET, Cell, cashless_dict, locality_dict, monthly_coverage, percent
from .models import ChannelSale
from .sales import SalesRow, sales_report
from .share import target_for
from .sqltime import local_month

FIRST_YEAR = 2013  # the OCOP programme of Quảng Ninh
MIN_PRODUCERS = 3
MIN_ORDERS = 5
OTHER = "other"


def _other_group() -> dict:
    """The merged cell's group, named in both languages of the published data (as a category is)."""
    names = {}
    for lang in LANGUAGES:
        with force_locale(lang):
            names[f"name_{lang}"] = gettext("Other groups")
    return {"slug": OTHER, **names}


def _other_region() -> dict:
    """The merged cell's region, named in Vietnamese like every place of the published data."""
    with force_locale("vi"):
        return {"slug": OTHER, "name": gettext("Other areas")}


def _publishable(producers: int, orders: int) -> bool:
    return producers >= MIN_PRODUCERS and orders >= MIN_ORDERS


def _remainder(whole: SalesRow, published: list[dict]) -> tuple[int, int, int, int, int]:
    """Gross, refunds, units and the least possible producers and orders of `whole` outside `published`."""
    return (whole.gross_vnd - sum(c["_gross"] for c in published),
            whole.refunds_vnd - sum(c["_refunds"] for c in published), whole.units - sum(c["units"] for c in published),
            whole.producers - sum(c["_producers"] for c in published),
            whole.orders - sum(c["_orders"] for c in published))


def last_closed_day(today: date) -> date:
    """The last day of the last month that is over."""
    return today.replace(day=1) - timedelta(days=1)


def ocop_sales(year: int) -> dict:
    today = local_today()
    date_to = min(date(year, 12, 31), last_closed_day(today))
    groups = {slug: {"slug": slug, "name_vi": vi, "name_en": en} for slug, vi, en in db.session.execute(
        sa.select(Category.slug, Category.name_vi, Category.name_en).where(Category.parent_id.is_(None)))}
    cells: list[dict] = []
    months: dict[str, dict] = {}
    if date(year, 1, 1) <= date_to:
        args = (date(year, 1, 1), date_to)
        fine = sales_report(*args, ("month", "category", "region")).rows
        by_group = sales_report(*args, ("month", "category")).rows
        by_month = sales_report(*args, ("month",)).rows
        for row in fine:
            month, group, region = row.keys
            if _publishable(row.producers, row.orders):
                cells.append(_cell(month, groups.get(group) or {"slug": group, "name_vi": row.labels[1],
                                                                "name_en": row.labels[1]},
                                   {"slug": region, "name": row.labels[2]}, row.gross_vnd, row.refunds_vnd, row.units,
                                   row.producers, row.orders))
        for row in by_group:
            month, group = row.keys
            published = [c for c in cells if c["month"] == month and c["group"]["slug"] == group]
            gross, refunds, units, producers, orders = _remainder(row, published)
            if units and _publishable(producers, orders):
                cells.append(_cell(month, groups.get(group) or {"slug": group, "name_vi": row.labels[1],
                                                                "name_en": row.labels[1]},
                                   _other_region(), gross, refunds, units, producers, orders))
        for row in by_month:
            month = row.keys[0]
            published = [c for c in cells if c["month"] == month]
            gross, refunds, units, producers, orders = _remainder(row, published)
            if units and _publishable(producers, orders):
                cells.append(_cell(month, _other_group(), _other_region(), gross, refunds, units, producers, orders))
            elif units:
                months[month] = {"month": month, "sales_vnd": 0, "gross_sales_vnd": 0, "refunds_vnd": 0,
                                 "units": 0, "suppressed": True}
    for cell in cells:
        totals = months.setdefault(cell["month"], {"month": cell["month"], "sales_vnd": 0, "gross_sales_vnd": 0,
                                                   "refunds_vnd": 0, "units": 0, "suppressed": False})
        totals["sales_vnd"] += cell["sales_vnd"]
        totals["gross_sales_vnd"] += cell["_gross"]
        totals["refunds_vnd"] += cell["_refunds"]
        totals["units"] += cell["units"]
    items = [{k: v for k, v in c.items() if not k.startswith("_")} for c in cells]
    # "other" (merged) cells after the named ones of their month and group.
    items.sort(key=lambda i: (i["month"], i["group"]["slug"] == OTHER, i["group"]["slug"],
                              i["region"]["slug"] == OTHER, i["region"]["slug"]))
    return {"year": year, "currency": "VND", "timezone": "Asia/Ho_Chi_Minh",
            "complete_through": _complete_through(year, today),
            "min_producers": MIN_PRODUCERS, "min_orders": MIN_ORDERS,
            "items": items, "monthly_totals": [months[m] for m in sorted(months)],
            "ecommerce_target": target_for(year).as_dict(),
            "payment_indicators": payment_indicators(year, date_to)}


def _cell(month: str, group: dict, region: dict, gross: int, refunds: int, units: int, producers: int,
          orders: int) -> dict:
    return {"month": month, "group": group, "region": region, "sales_vnd": gross - refunds, "units": units,
            "_gross": gross, "_refunds": refunds, "_producers": producers, "_orders": orders}


def _complete_through(year: int, today: date) -> str | None:
    """The last month of `year` that is over (the last one published), if any."""
    if year < today.year:
        return f"{year}-12"
    if year == today.year and today.month > 1:
        return f"{year}-{today.month - 1:02d}"
    return None


# --------------------------------------------------------------------------- payment indicators

def _month_counts(start: date, end: date) -> dict[str, tuple[int, int]]:
    """{'YYYY-MM': (producers, orders)} of paid parts in [start, end) local days (an order with
    parts of several localities counts once in its month)."""
    month = local_month(Order.paid_at)
    return {key: (int(producers), int(orders)) for key, producers, orders in db.session.execute(
        sa.select(month, sa.func.count(sa.distinct(OrderPart.producer_id)), sa.func.count(sa.distinct(Order.id)))
        .select_from(OrderPart).join(Order, Order.id == OrderPart.order_id)
        .where(Order.paid_at >= local_start_utc(start), Order.paid_at < local_start_utc(end)).group_by(month))}


def _localities(cells: list[Cell]) -> tuple[list[dict], int]:
    """The month's localities large enough to publish, then the rest merged as "other" when
    that is large enough; and how many localities are left out. The merged cell's orders are
    taken at their lowest possible value (the largest of its localities': an order can span several)."""
    published = [c for c in cells if _publishable(c.producers, c.orders)]
    rest = [c for c in cells if c not in published]
    rows = [locality_dict(c.slug, c.name, c.paid, c.invoiced, c.cashless) for c in published]
    left_out = 0
    if rest and _publishable(sum(c.producers for c in rest), max(c.orders for c in rest)):
        rows.append(locality_dict(OTHER, _other_region()["name"], sum(c.paid for c in rest),
                                  sum(c.invoiced for c in rest), sum(c.cashless for c in rest)))
    else:
        left_out = len(rest)
    for row in rows:
        row["region"] = {"slug": row.pop("region_slug"), "name": row["region"]}
    rows.sort(key=lambda r: (r["region"]["slug"] == OTHER, r["region"]["slug"]))
    return rows, left_out


def payment_indicators(year: int, date_to: date) -> dict:
    """Per month that is over, and by locality, the share of paid marketplace sales with an
    issued e-invoice (target 100%) and the share of e-commerce payments made cashless (target
    80%; the month's figure adds the other channels the admin recorded, a channel without a
    cashless figure counting as cash; a locality's is the marketplace's). Months and localities
    too small to publish are withheld as the sales cells are; the year sums the published months."""
    months: list[dict] = []
    year_paid = year_invoiced = year_payments = year_cashless = 0
    if date(year, 1, 1) <= date_to:
        start, end = date(year, 1, 1), date_to + timedelta(days=1)
        monthly, counts = monthly_coverage(start, end), _month_counts(start, end)
        channels: dict[str, list[tuple[str, int]]] = {}
        channel_cashless: dict[str, dict[str, int | None]] = {}
        for entry in db.session.scalars(sa.select(ChannelSale).where(ChannelSale.period.in_(list(monthly)))):
            channels.setdefault(entry.period, []).append((entry.channel, entry.amount_vnd))
            channel_cashless.setdefault(entry.period, {})[entry.channel] = entry.cashless_vnd
        for key in sorted(monthly):
            if not _publishable(*counts.get(key, (0, 0))):
                months.append({"month": key, "suppressed": True})
                continue
            cells = monthly[key]
            paid, invoiced = sum(c.paid for c in cells), sum(c.invoiced for c in cells)
            cashless = cashless_dict(paid, channels.get(key, []), channel_cashless.get(key, {}),
                                     marketplace_cashless_vnd=sum(c.cashless for c in cells))
            localities, left_out = _localities(cells)
            months.append({"month": key, "suppressed": False, "paid_vnd": paid, "invoiced_vnd": invoiced,
                           "e_invoice_percent": _float(percent(invoiced, paid)),
                           "payments_vnd": cashless["payments_vnd"], "cashless_vnd": cashless["cashless_vnd"],
                           "cashless_percent": cashless["percent"],
                           "other_channels_unknown_vnd": cashless["other_channels_unknown_vnd"],
                           "by_locality": localities, "localities_left_out": left_out})
            year_paid, year_invoiced = year_paid + paid, year_invoiced + invoiced
            year_payments += cashless["payments_vnd"]
            year_cashless += cashless["cashless_vnd"]
    return {"e_invoice_target_percent": float(INVOICE_TARGET), "cashless_target_percent": float(CASHLESS_TARGET),
            "months": months,
            "year": {"paid_vnd": year_paid, "invoiced_vnd": year_invoiced,
                     "e_invoice_percent": _float(percent(year_invoiced, year_paid)),
                     "payments_vnd": year_payments, "cashless_vnd": year_cashless,
                     "cashless_percent": _float(percent(year_cashless, year_payments))}}


def _float(value) -> float | None:
    return float(value) if value is not None else None
