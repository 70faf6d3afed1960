"""Two indicators of the national e-commerce plan 2026–2030 (Decision 1568/QĐ-BCT) beside the
share: 100% of platform transactions carry an e-invoice, 80% of e-commerce payments cashless.

e-invoice share = paid parts' value with an issued invoice / all paid parts' value, by the
local month of payment and the producer's locality (its former district, `region`).
Cashless share = cashless payments / all e-commerce payments (gross, before refunds): every
marketplace sale is paid by bank transfer or card; another channel counts what the admin
recorded as its cashless part (a channel without that figure counts as not cashless, and
is reported as unknown).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from ..catalog.models import Locality, Producer
from ..extensions import db
from ..invoicing.models import PartInvoice
from ..orders.models import Order, OrderPart
from ..payments.providers import cashless_methods
from ..timeutil import local_start_utc
from .sqltime import local_month

INVOICE_TARGET = Decimal(100)
CASHLESS_TARGET = Decimal(80)
CENT = Decimal("0.01")


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Cell:
    """One local month and locality: paid parts' value, the invoiced and cashless part of it,
    and how many producers and orders make it up (open data publishes only large enough cells)."""
    slug: str
    name: str
    paid: int
    invoiced: int
    cashless: int
    producers: int
    orders: int


@dataclass
class Coverage:
    paid_vnd: int = 0
    invoiced_vnd: int = 0
    cashless_vnd: int = 0
    by_region: dict[str, list] = field(default_factory=dict)  # slug -> [name, paid, invoiced, cashless]

    def add(self, slug: str, name: str, paid: int, invoiced: int, cashless: int = 0) -> None:
        self.paid_vnd += paid
        self.invoiced_vnd += invoiced
        self.cashless_vnd += cashless
        entry = self.by_region.setdefault(slug, [name, 0, 0, 0])
        entry[1] += paid
        entry[2] += invoiced
        entry[3] += cashless

    def as_dict(self) -> dict:
        share = percent(self.invoiced_vnd, self.paid_vnd)
        return {"paid_vnd": self.paid_vnd, "invoiced_vnd": self.invoiced_vnd,
                "percent": float(share) if share is not None else None, "target_percent": float(INVOICE_TARGET),
                "by_locality": [locality_dict(slug, name, paid, invoiced, cashless)
                                for slug, (name, paid, invoiced, cashless) in sorted(self.by_region.items())]}


def _share(part: int, whole: int) -> float | None:
    value = percent(part, whole)
    return float(value) if value is not None else None


def locality_dict(slug: str, name: str, paid: int, invoiced: int, cashless: int) -> dict:
    """A locality's marketplace sales: invoiced and cashless shares (other channels have no locality)."""
    return {"region_slug": slug, "region": name, "paid_vnd": paid, "invoiced_vnd": invoiced,
            "percent": _share(invoiced, paid), "cashless_vnd": cashless, "cashless_percent": _share(cashless, paid)}


def monthly_coverage(start: date, end: date) -> dict[str, list[Cell]]:
    """{'YYYY-MM': [Cell per locality]} for payments in [start, end) local days."""
    month = local_month(Order.paid_at)
    total = OrderPart.subtotal_vnd + OrderPart.shipping_vnd
    # A method is cashless when its gateway says so; one added later (cash on delivery) says not.
    cashless = cashless_methods()
    rows = db.session.execute(
        sa.select(month, Locality.region_slug, Locality.region, sa.func.sum(total),
                  sa.func.sum(sa.case((PartInvoice.id.is_not(None), total), else_=0)),
                  sa.func.sum(sa.case((Order.payment_method.in_(cashless), total), else_=0)),
                  sa.func.count(sa.distinct(OrderPart.producer_id)), sa.func.count(sa.distinct(Order.id)))
        .select_from(OrderPart).join(Order, Order.id == OrderPart.order_id)
        .join(Producer, Producer.id == OrderPart.producer_id).join(Locality, Locality.id == Producer.locality_id)
        .outerjoin(PartInvoice, PartInvoice.part_id == OrderPart.id)
        .where(Order.paid_at >= local_start_utc(start), Order.paid_at < local_start_utc(end))
        .group_by(month, Locality.region_slug, Locality.region)).all()
    found: dict[str, list[Cell]] = {}
    for key, slug, name, paid, invoiced, cashless, producers, orders in rows:
        found.setdefault(key, []).append(Cell(slug, name, int(paid or 0), int(invoiced or 0), int(cashless or 0),
                                              int(producers), int(orders)))
    return found


def coverage_of(months: list[str], monthly: dict[str, list[Cell]]) -> Coverage:
    coverage = Coverage()
    for key in months:
        for cell in monthly.get(key, ()):
            coverage.add(cell.slug, cell.name, cell.paid, cell.invoiced, cell.cashless)
    return coverage


def cashless_dict(marketplace_gross_vnd: int, channels: list[tuple[str, int]],
                  cashless: dict[str, int | None], marketplace_cashless_vnd: int | None = None) -> dict:
    """The cashless share of e-commerce payments: the marketplace's (all of it unless told
    otherwise) and each other channel's reported cashless part."""
    if marketplace_cashless_vnd is None:
        marketplace_cashless_vnd = marketplace_gross_vnd
    other = sum(amount for _, amount in channels)
    other_cashless = sum(cashless.get(name) or 0 for name, _ in channels)
    unknown = sum(amount for name, amount in channels if cashless.get(name) is None)
    payments, paid_cashless = marketplace_gross_vnd + other, marketplace_cashless_vnd + other_cashless
    share = percent(paid_cashless, payments)
    return {"payments_vnd": payments, "cashless_vnd": paid_cashless, "marketplace_cashless_vnd": marketplace_cashless_vnd,
            "other_channels_cashless_vnd": other_cashless, "other_channels_unknown_vnd": unknown,
            "percent": float(share) if share is not None else None, "target_percent": float(CASHLESS_TARGET)}
