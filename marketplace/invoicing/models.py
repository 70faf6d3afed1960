from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import TimestampMixin
from ..timeutil import UTCDateTime

REQUEST_KINDS = ("company", "person")
# A rate as Circular 78/2021 writes it in TSuat (without the % sign); KCT: not subject to VAT.
VAT_RATES = ("0", "5", "8", "10", "KCT")
# issued: the invoice stands; adjustment_due: the part was refunded or cancelled after issue;
# adjusted: the adjusting invoice is recorded too.
INVOICE_STATUSES = ("issued", "adjustment_due", "adjusted")


class InvoiceRequest(TimestampMixin, db.Model):
    """What a buyer asked for at checkout: an invoice to a company or to a person, per order."""

    __tablename__ = "invoice_requests"
    __table_args__ = (sa.CheckConstraint("kind IN ('company', 'person')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), unique=True,
                                          nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    tax_code: Mapped[str | None] = mapped_column(sa.String(14))
    address: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False)


class PartInvoice(TimestampMixin, db.Model):
    """The e-invoice a producer issued for its part of an order (and its adjustment, if any)."""

    __tablename__ = "part_invoices"
    __table_args__ = (
        sa.CheckConstraint("status IN ('issued', 'adjustment_due', 'adjusted')", name="status"),
        sa.UniqueConstraint("series", "number", "producer_id", name="uq_part_invoices_series_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("order_parts.id", ondelete="CASCADE"), unique=True,
                                         nullable=False)
    producer_id: Mapped[int] = mapped_column(sa.ForeignKey("producers.id"), nullable=False, index=True)
    template: Mapped[str] = mapped_column(sa.String(11), nullable=False)  # 1 (VAT) / 2 (sales)
    # The template code it was issued under at the provider ("1/001"); null: recorded by hand
    # without it (an adjustment then refers to the connection's template).
    template_code: Mapped[str | None] = mapped_column(sa.String(20))
    series: Mapped[str] = mapped_column(sa.String(6), nullable=False)
    number: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    lookup_code: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    issued_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    # Who recorded it: 'manual' (the producer typed it) or a connector's name.
    source: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="manual")
    # The connector's idempotency key: the same key never issues twice at the provider.
    transaction_uuid: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="issued")
    issued_total_vnd: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    adjustment_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    adjustment_reason: Mapped[str | None] = mapped_column(sa.Text)
    adjust_series: Mapped[str | None] = mapped_column(sa.String(6))
    adjust_number: Mapped[str | None] = mapped_column(sa.String(8))
    adjust_lookup_code: Mapped[str | None] = mapped_column(sa.String(60))
    adjusted_on: Mapped[date | None] = mapped_column(sa.Date)


class VatRate(TimestampMixin, db.Model):
    """The VAT rate of an OCOP group or sub-group (category slug) from a date, with its source.

    The rate that applies on a day is the row of the most specific category with the latest
    `valid_from` on or before that day; `shipping` is the delivery service line."""

    __tablename__ = "vat_rates"
    __table_args__ = (
        sa.UniqueConstraint("category_slug", "valid_from", name="uq_vat_rates_category_from"),
        sa.CheckConstraint("rate IN ('0', '5', '8', '10', 'KCT')", name="rate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_slug: Mapped[str] = mapped_column(sa.String(80), nullable=False, index=True)
    valid_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    rate: Mapped[str] = mapped_column(sa.String(4), nullable=False)
    source: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class InvoiceConnection(TimestampMixin, db.Model):
    """A producer's account at an e-invoice provider, through which the marketplace asks the
    provider to issue the producer's invoices (the provider signs with the producer's certificate).

    The password is kept encrypted (invoicing.connection), never shown back."""

    __tablename__ = "invoice_connections"
    __table_args__ = (sa.CheckConstraint("provider IN ('viettel')", name="provider"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(sa.ForeignKey("producers.id", ondelete="CASCADE"), unique=True,
                                             nullable=False)
    provider: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="viettel")
    username: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    secret_encrypted: Mapped[str] = mapped_column(sa.Text, nullable=False)
    supplier_tax_code: Mapped[str] = mapped_column(sa.String(14), nullable=False)
    template_code: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    series: Mapped[str] = mapped_column(sa.String(6), nullable=False)
    last_tested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_test_ok: Mapped[bool | None] = mapped_column(sa.Boolean)
    # The last test's outcome: a code and its parameters, said in the reader's language
    # (connection.test_message); `last_test_message` is the text older tests stored.
    last_test_code: Mapped[str | None] = mapped_column(sa.String(20))
    last_test_params: Mapped[dict | None] = mapped_column(sa.JSON)
    last_test_message: Mapped[str | None] = mapped_column(sa.String(300))
