from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import TimestampMixin
from ..timeutil import UTCDateTime

ROLES = ("shopper", "seller", "admin")


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint("role IN ('shopper', 'seller', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Always stored lower-cased (see accounts.services.normalise_email): unique case-insensitively.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    full_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    role: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="shopper")
    producer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("producers.id"), index=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The language the user last used the site in (`vi`, `en`): e-mails to them are written in it.
    lang: Mapped[str] = mapped_column(sa.String(5), nullable=False, default="vi", server_default="vi")

    producer = relationship("Producer", lazy="joined")

    # The key of the UserSession this request was signed in with (set by
    # accounts.sessions when it starts or loads one); Flask-Login stores it, not the id.
    session_key = None

    def get_id(self) -> str:  # flask-login
        if not self.session_key:
            raise RuntimeError("sign users in with accounts.sessions.sign_in (a session record), not login_user")
        return self.session_key

    # UserMixin compares users by get_id(), now a session key: compare accounts by id.
    def __eq__(self, other):
        if not isinstance(other, User):
            return NotImplemented
        return self.id is not None and self.id == other.id

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = object.__hash__

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_seller(self) -> bool:
        return self.role == "seller" and self.producer_id is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class ApiToken(TimestampMixin, db.Model):
    """A Bearer token. Only its SHA-256 digest is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="api")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship(User, lazy="joined")

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class UserSession(TimestampMixin, db.Model):
    """One sign-in of a browser (or cookie client): the server-side record behind the
    session cookie and its remember-me cookie.

    Flask-Login stores `User.get_id()` in the session and signs it into the remember-me
    cookie; that id is this record's random key (only its SHA-256 digest is stored), so
    each sign-in gets new cookies, and revoking the record (sign out, password change,
    "sign out everywhere") makes every copy of them worthless.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class PasswordResetToken(db.Model):
    """A password-reset link sent by email: single use, expires (PASSWORD_RESET_MAX_AGE_MIN).
    Only the SHA-256 digest of the token in the link is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class Address(TimestampMixin, db.Model):
    """A delivery address in a user's address book. Province and ward are codes of the
    administrative divisions in force since 1 July 2025 (package vietnam-provinces); their
    names are stored too, as written at the time, for checkout and display."""

    __tablename__ = "addresses"
    __table_args__ = (
        # At most one default address per user.
        sa.Index("uq_addresses_one_default", "user_id", unique=True,
                 sqlite_where=sa.text("is_default"), postgresql_where=sa.text("is_default")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    full_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    phone: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    line1: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    province_code: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    province_name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    ward_code: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    ward_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    is_default: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
