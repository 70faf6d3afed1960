from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import TimestampMixin
from ..timeutil import UTCDateTime, utcnow

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


ATTEMPT_STATUSES = ("pending", "succeeded", "failed", "expired")
TRANSFER_STATUSES = ("matched", "partial", "unmatched", "assigned", "refunded_outside")
# Transfers an admin still has to look at.
OPEN_TRANSFER_STATUSES = ("partial", "unmatched")
LEDGER_KINDS = ("payment", "refund")


class PaymentAttempt(TimestampMixin, db.Model):
    """One try at paying an order through one gateway (a VietQR code shown, a Stripe Checkout Session)."""

    __tablename__ = "payment_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True)
    method: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")
    amount_vnd: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="VND")
    # Stripe Checkout Session id; the VietQR reference for bank transfers.
    provider_ref: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    # Stripe PaymentIntent id once known.
    provider_payment_id: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    checkout_url: Mapped[str | None] = mapped_column(sa.Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    order = relationship("Order")


class ProviderEvent(db.Model):
    """A notification received from a provider. The unique (provider, event_id)
    makes every delivery after the first a no-op."""

    __tablename__ = "payment_provider_events"
    __table_args__ = (sa.UniqueConstraint("provider", "event_id", name="uq_payment_provider_events_provider_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # stripe | sepay | casso
    event_id: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    event_type: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(30), nullable=False, default="received")
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    payload: Mapped[str] = mapped_column(sa.Text, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class BankTransfer(TimestampMixin, db.Model):
    """An incoming bank transfer reported by SePay or Casso, and its reconciliation state."""

    __tablename__ = "bank_transfers"
    __table_args__ = (
        sa.UniqueConstraint("provider", "provider_txn_id", name="uq_bank_transfers_provider_txn"),
        sa.Index("ix_bank_transfers_status", "status", "transacted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    provider_txn_id: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payment_provider_events.id"))
    bank: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="")
    account_no: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    amount_vnd: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    bank_reference: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="")
    # The bank's transaction time (given in local time by the provider), stored UTC.
    transacted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    order = relationship("Order")


class LedgerEntry(db.Model):
    """One movement of money: a payment in or a refund out. Append-only.

    `provider_ref` names the provider's own record of that movement (a bank
    transaction, a Stripe PaymentIntent or Refund); (kind, provider_ref) is
    unique, so the same money can never be booked twice.
    """

    __tablename__ = "payment_ledger"
    __table_args__ = (
        sa.UniqueConstraint("kind", "provider_ref", name="uq_payment_ledger_kind_ref"),
        sa.CheckConstraint("amount_vnd > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # payment | refund
    method: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # stripe | vietqr | manual
    amount_vnd: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="VND")
    provider_ref: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payment_attempts.id", ondelete="SET NULL"))
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payment_provider_events.id"))
    bank_transfer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bank_transfers.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(sa.ForeignKey("refunds.id"), index=True)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    @property
    def signed_amount_vnd(self) -> int:
        return self.amount_vnd if self.kind == "payment" else -self.amount_vnd
