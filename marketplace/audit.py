"""Audit log of administrative actions: who, when, what, before and after."""
from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db
from .timeutil import UTCDateTime, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(60), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    object_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    before: Mapped[str | None] = mapped_column(sa.Text)  # JSON
    after: Mapped[str | None] = mapped_column(sa.Text)  # JSON
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)

    actor = relationship("User", lazy="joined")


def record(actor, action: str, obj_type: str, obj_id, before: dict | None = None,
           after: dict | None = None, note: str = "") -> AuditEntry:
    """Add an audit row to the current transaction (committed with the change it describes)."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None), action=action, object_type=obj_type, object_id=str(obj_id),
        before=json.dumps(before, ensure_ascii=False, default=str) if before is not None else None,
        after=json.dumps(after, ensure_ascii=False, default=str) if after is not None else None,
        note=note, created_at=utcnow(),
    )
    db.session.add(entry)
    return entry
