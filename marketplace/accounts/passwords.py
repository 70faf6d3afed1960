"""Password reset by email: a single-use link that expires.

Asking for a reset answers the same whether or not the address has an account; a link is
sent only to an active account, at most PASSWORD_RESET_MAILS_PER_HOUR a hour (so the form
cannot be used to flood someone's inbox). The link carries a random token of which only
the SHA-256 digest is stored; using it sets the new password, spends every reset link of
the account and ends all of its sessions and API tokens (whoever knew the old password
may hold one).
"""
from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _

from ..errors import ValidationFailed
from ..extensions import db
from ..links import absolute_url
from ..mail.language import send_in
from ..timeutil import utcnow
from .models import PasswordResetToken, User
from .services import MIN_PASSWORD_LENGTH, find_user_by_email, hash_password
from .sessions import end_other_sessions

TOKEN_PREFIX = "pr_"


def request_reset(email: str) -> None:
    """Send a reset link to `email` if it names an active account (and its hourly budget of
    reset mails is not spent); otherwise do nothing. Never says which; commits."""
    user = find_user_by_email(str(email or "").strip()[:254])
    if user is None or not user.active:
        return
    now = utcnow()
    recent = db.session.scalar(sa.select(sa.func.count()).select_from(PasswordResetToken).where(
        PasswordResetToken.user_id == user.id, PasswordResetToken.created_at > now - timedelta(hours=1)))
    if recent >= current_app.config["PASSWORD_RESET_MAILS_PER_HOUR"]:
        return
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE_MIN"]
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(PasswordResetToken(user_id=user.id, token_hash=PasswordResetToken.digest(token), created_at=now,
                                      expires_at=now + timedelta(minutes=minutes)))
    link = absolute_url(url_for("accounts.password_reset_confirm", token=token))
    send_in(user.lang, user.email, lambda: (
        _("[OCOP Quang Ninh] Reset your password"),
        _("Hello %(name)s,\n\nTo choose a new password for %(email)s, open this link within %(minutes)s minutes "
          "(it works once):\n%(link)s\n\nIf you did not ask for this, ignore this message: your password "
          "stays as it is.\n", name=user.full_name, email=user.email, minutes=minutes, link=link)))
    db.session.commit()


def _live_token(token: str, lock: bool = False) -> PasswordResetToken | None:
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    query = sa.select(PasswordResetToken).where(PasswordResetToken.token_hash == PasswordResetToken.digest(token),
                                                PasswordResetToken.used_at.is_(None),
                                                PasswordResetToken.expires_at > utcnow())
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)


def token_is_valid(token: str) -> bool:
    return _live_token(token) is not None


def invalid_link() -> ValidationFailed:
    message = _("This password reset link is invalid, expired or already used. Ask for a new one.")
    return ValidationFailed(message, code="invalid_token", fields={"token": [message]})


def reset_password(token: str, new_password: str) -> User:
    """Set the password of the account a live reset link belongs to, spend every reset link
    of the account and end all of its sessions and API tokens; commits. Raises
    ValidationFailed (`invalid_token`, or a password too short)."""
    record = _live_token(token, lock=True)
    if record is None:
        raise invalid_link()
    user = db.session.get(User, record.user_id)
    if user is None or not user.active:
        raise invalid_link()
    if not isinstance(new_password, str) or not MIN_PASSWORD_LENGTH <= len(new_password) <= 200:
        raise ValidationFailed(_("Invalid input"), fields={"password": [
            _("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)]})
    now = utcnow()
    user.password_hash = hash_password(new_password)
    db.session.execute(sa.update(PasswordResetToken).where(PasswordResetToken.user_id == user.id,
                                                           PasswordResetToken.used_at.is_(None))
                       .values(used_at=now))
    end_other_sessions(user.id, commit=False)
    db.session.commit()
    return user
