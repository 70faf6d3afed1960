from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import TimestampMixin
from ..timeutil import UTCDateTime, utcnow

ORDER_STATUSES = ("pending_payment", "paid", "completed", "cancelled", "expired", "refunded")
PART_STATUSES = ("pending", "confirmed", "shipped", "delivered", "cancelled", "refunded")
PAYMENT_STATUSES = ("unpaid", "paid", "partially_refunded", "refunded")


class Order(TimestampMixin, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        sa.Index("ix_orders_status_due", "status", "payment_due_at"),
        # The unpaid orders one contact or client address holds (checkout/limits.py counts them).
        *(sa.Index(f"ix_orders_unpaid_{name}", column, postgresql_where=sa.text("status = 'pending_payment'"),
                   sqlite_where=sa.text("status = 'pending_payment'"))
          for name, column in (("phone", "contact_phone"), ("email", "contact_email"),
                               ("client", "client_address"))),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # Only orders.status.apply_order_transition assigns this.
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="pending_payment")

    contact_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    contact_phone: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    # Optional: a guest may leave only a phone number (tracking works by code and phone).
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    # The language the order was placed in: e-mails about it are written in it (guests have no account).
    contact_lang: Mapped[str] = mapped_column(sa.String(5), nullable=False, default="vi", server_default="vi")
    ship_line1: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    ship_ward: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    ship_province: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # The address the order was placed from, for the limit on unpaid orders per client.
    client_address: Mapped[str | None] = mapped_column(sa.String(45))

    subtotal_vnd: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    shipping_vnd: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    total_vnd: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)

    # One of the registered payment gateways' methods (marketplace/payments/providers); checkout checks it.
    payment_method: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    payment_status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="unpaid")
    # Short upper-case alphanumeric reference a shopper puts in the bank transfer description.
    payment_reference: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    payment_due_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # The provider's time of payment (bank transaction time or Stripe event time), in UTC.
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stock_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    parts = relationship("OrderPart", back_populates="order", order_by="OrderPart.id", lazy="selectin",
                         cascade="all, delete-orphan")
    events = relationship("OrderEvent", back_populates="order", order_by="OrderEvent.id", lazy="raise_on_sql",
                          cascade="all, delete-orphan")


class OrderPart(TimestampMixin, db.Model):
    """The share of an order one producer fulfils and ships as one parcel."""

    __tablename__ = "order_parts"
    __table_args__ = (sa.UniqueConstraint("order_id", "producer_id", name="uq_order_parts_order_producer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True)
    producer_id: Mapped[int] = mapped_column(sa.ForeignKey("producers.id"), nullable=False, index=True)
    # Only orders.status.apply_part_transition assigns this.
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="pending")
    subtotal_vnd: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    shipping_vnd: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    carrier: Mapped[str | None] = mapped_column(sa.String(40))
    tracking_number: Mapped[str | None] = mapped_column(sa.String(60))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set once, by the conditional UPDATE that wins the right to put this part's stock back.
    stock_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    order = relationship(Order, back_populates="parts")
    producer = relationship("Producer", lazy="joined")
    lines = relationship("OrderLine", back_populates="part", order_by="OrderLine.id", lazy="selectin",
                         cascade="all, delete-orphan")

    @property
    def total_vnd(self) -> int:
        return self.subtotal_vnd + self.shipping_vnd


class OrderLine(db.Model):
    """A product line with its price frozen at checkout."""

    __tablename__ = "order_lines"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("order_parts.id", ondelete="CASCADE"), nullable=False, index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), nullable=False, index=True)
    product_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    unit: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    unit_price_vnd: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    line_total_vnd: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)

    part = relationship(OrderPart, back_populates="lines")


class OrderEvent(db.Model):
    """One row of an order's history: a status move of the order or of one part."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True)
    part_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order_parts.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="system")
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    order = relationship(Order, back_populates="events")
    # Lets the checkout write a new order's history in the same flush as its parts.
    part = relationship(OrderPart)
