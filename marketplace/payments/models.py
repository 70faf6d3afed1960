from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import TimestampMixin
from ..timeutil import UTCDateTime

REFUND_STATUSES = ("due", "succeeded", "failed")


class Refund(TimestampMixin, db.Model):
    """Money given back for an order part (or a whole order).

    Sales statistics subtract `amount_vnd` in the local period of `refunded_at`
    once the refund has succeeded (a bank-transfer refund is `due` until an
    admin marks it paid back).
    """

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), nullable=False, index=True)
    part_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order_parts.id"), index=True)
    amount_vnd: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    method: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # stripe | vietqr | manual
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="due")
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    provider_ref: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    order = relationship("Order")
    part = relationship("OrderPart")
