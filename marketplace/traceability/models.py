from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..catalog.models import Locality, Product
from ..extensions import db
from ..models_base import TimestampMixin
from ..timeutil import UTCDateTime

LOT_CODE_MAX = 20  # GS1 application identifier (10) holds at most 20 characters


class Lot(TimestampMixin, db.Model):
    """One production lot (batch) of a product: what its passport and its labels show."""

    __tablename__ = "lots"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "code", name="uq_lots_product_code"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("scan_count >= 0", name="scan_count_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), nullable=False, index=True)
    # Kept on the lot so that a seller's queries filter on one indexed column.
    producer_id: Mapped[int] = mapped_column(sa.ForeignKey("producers.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(sa.String(LOT_CODE_MAX), nullable=False)
    produced_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    best_before: Mapped[date] = mapped_column(sa.Date, nullable=False)
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    origin_locality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("localities.id"))
    process: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    inputs: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    scan_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    first_scanned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_scanned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recall_reason: Mapped[str | None] = mapped_column(sa.Text)
    recalled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    product = relationship(Product, lazy="joined")
    origin = relationship(Locality, lazy="joined")

    @property
    def recalled(self) -> bool:
        return self.recalled_at is not None


class LineLot(db.Model):
    """An order line shipped from a lot: who bought the lot, for a recall's emails."""

    __tablename__ = "order_line_lots"
    __table_args__ = (sa.UniqueConstraint("order_line_id", "lot_id", name="uq_order_line_lots_line_lot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=False,
                                               index=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id"), nullable=False, index=True)
    # Units of the line taken from this lot (the line's lots add up to its quantity).
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class LotFile(TimestampMixin, db.Model):
    """A lot's document (VietGAP/organic certificate, test report) or photo, shown on its passport."""

    __tablename__ = "lot_files"
    __table_args__ = (sa.CheckConstraint("kind IN ('document', 'photo')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    key: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    thumb_key: Mapped[str | None] = mapped_column(sa.String(200))


class FakeReport(TimestampMixin, db.Model):
    """A passport visitor's report of a suspected fake, for the admin's queue."""

    __tablename__ = "fake_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id", ondelete="CASCADE"), nullable=False, index=True)
    message: Mapped[str] = mapped_column(sa.Text, nullable=False)
    place: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    contact: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    lot = relationship(Lot, lazy="joined")
