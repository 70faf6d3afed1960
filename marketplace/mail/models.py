"""The outbox: every outgoing message is a row, written in the transaction it reports on."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime

MAIL_STATUSES = ("pending", "sent", "failed")


class OutgoingMail(db.Model):
    """One message: "pending" until the mail server accepts it ("sent"), or until it is given
    up ("failed": refused for good, or MAIL_MAX_ATTEMPTS tries). A sender holds a pending
    message for a while (`locked_until`) so that two senders never send it both."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        sa.Index("ix_outgoing_mail_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipients: Mapped[str] = mapped_column(sa.Text, nullable=False)  # "a@x.vn, b@y.vn"
    subject: Mapped[str] = mapped_column(sa.Text, nullable=False)  # names in it have no set length
    body_text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    message_id: Mapped[str] = mapped_column(sa.String(200), nullable=False)  # the same on every try
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
