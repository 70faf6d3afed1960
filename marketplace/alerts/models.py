"""One row per (product, email) waiting for the product to come back in stock."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class StockAlert(db.Model):
    __tablename__ = "stock_alerts"
    __table_args__ = (sa.UniqueConstraint("product_id", "email", name="uq_stock_alerts_product_email"),
                      sa.Index("ix_stock_alerts_email", "email"))

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False)
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    # The language the message is written in: the one the shopper subscribed in.
    lang: Mapped[str] = mapped_column(sa.String(5), nullable=False, default="vi")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    # Set when the message went into the outbox: a pending alert has none.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    product = relationship("Product", lazy="joined")
