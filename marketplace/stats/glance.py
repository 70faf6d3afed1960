"""This month at a glance, for the admin portal's first page: sales, orders, the share of them
paid, and the e-commerce share indicator of the latest month with a recorded retail total.

The admin portal (a lower layer: the statistics pages are built on it) shows it through the
panel the stats blueprint registers (views.py), so admin never imports stats.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from ..extensions import db
from ..orders.models import Order
from ..timeutil import local_today, parse_period
from .models import RetailTotal
from .share import ShareFigures, ecommerce_share


@dataclass
class MonthGlance:
    month: str  # YYYY-MM, this local month
    sales: ShareFigures  # this month's marketplace sales (and its share when its retail is recorded)
    orders: int  # orders placed this month
    paid_orders: int  # ... of which paid (refunds since included)
    indicator: ShareFigures | None  # the latest month with a recorded retail total

    @property
    def paid_percent(self) -> Decimal | None:
        if not self.orders:
            return None
        return (Decimal(self.paid_orders) * 100 / self.orders).quantize(Decimal("0.1"), ROUND_HALF_UP)


def month_at_a_glance(today: date | None = None) -> MonthGlance:
    month = (today or local_today()).strftime("%Y-%m")
    period = parse_period(month)
    placed = sa.and_(Order.created_at >= period.start_utc, Order.created_at < period.end_utc)
    orders, paid = db.session.execute(
        sa.select(sa.func.count(Order.id),
                  sa.func.coalesce(sa.func.sum(sa.case((Order.payment_status != "unpaid", 1), else_=0)), 0))
        .where(placed)).one()
    sales = ecommerce_share(month)
    indicator = sales if sales.share_percent is not None else None
    if indicator is None:
        latest = db.session.scalar(sa.select(sa.func.max(RetailTotal.period))
                                   .where(RetailTotal.period_kind == "month", RetailTotal.period <= month))
        indicator = ecommerce_share(latest) if latest else None
    return MonthGlance(month, sales, int(orders), int(paid), indicator)
