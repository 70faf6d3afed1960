"""Idempotency keys of checkouts: a retried request gets the first answer, never a second order."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime


class IdempotencyKey(db.Model):
    """One client-chosen key, per owner (a signed-in user, or all guests together), for 24 hours.

    Written in the transaction that creates the order, so the unique (owner, key) pair is what
    lets two concurrent requests with one key create one order; `response` is the first
    answer's JSON, filled in once the payment has started."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        sa.UniqueConstraint("owner", "key"),
        sa.Index("ix_idempotency_keys_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(40), nullable=False)  # "user:12" or "guest"
    key: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    fingerprint: Mapped[str] = mapped_column(sa.String(64), nullable=False)  # sha256 of the request body
    order_code: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    response: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
