"""Figures the OCOP office records for the e-commerce share indicator."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import TimestampMixin

PERIOD_KINDS = ("year", "quarter", "month")


class RetailTotal(TimestampMixin, db.Model):
    """The province's total retail sales of goods and consumer services for a local period
    (a year '2025', a quarter '2025-Q1' or a month '2025-01'), from the statistics office."""

    __tablename__ = "retail_totals"
    __table_args__ = (
        sa.CheckConstraint("total_retail_vnd >= 0", name="total_nonnegative"),
        sa.CheckConstraint("period_kind IN ('year', 'quarter', 'month')", name="period_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(7), unique=True, nullable=False)
    period_kind: Mapped[str] = mapped_column(sa.String(7), nullable=False)
    total_retail_vnd: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    source: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class ChannelSale(TimestampMixin, db.Model):
    """E-commerce sales reported by another channel (a platform, a provincial portal) for a period."""

    __tablename__ = "ecommerce_channel_sales"
    __table_args__ = (
        sa.UniqueConstraint("period", "channel", name="uq_ecommerce_channel_sales_period_channel"),
        sa.CheckConstraint("amount_vnd >= 0", name="amount_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(7), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    amount_vnd: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    # The part paid cashless (bank transfer, card, e-wallet), when the channel reports it.
    cashless_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
