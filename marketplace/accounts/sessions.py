"""Sign-in sessions: started at sign-in, ended at sign-out, all ended on request.

Flask-Login keeps `User.get_id()` in the signed session cookie and in the remember-me
cookie; here that id is the random key of a UserSession row, so:
- every sign-in gets new cookies (the remember-me cookie is not `<user id>|HMAC`);
- signing out revokes the row: the old session cookie and every remember-me cookie
  issued to that sign-in stop working, wherever a copy of them is;
- a password change or "sign out everywhere" revokes the user's other rows and API
  tokens, keeping only the credential the request itself used;
- a record older than SESSION_MAX_AGE_DAYS signs no one in, whatever cookie names it;
  `flask users purge-sessions` deletes those and the revoked ones.
"""
from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_login import login_user, logout_user

from ..extensions import db
from ..mail.language import current_language
from ..timeutil import utcnow
from .models import ApiToken, User, UserSession

KEY_PREFIX = "s_"


def start_session(user: User, user_agent: str | None = None) -> str:
    """A new session record for `user`; returns its key (kept only in the user's cookies)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, key_hash=UserSession.digest(key),
                               user_agent=(user_agent or "")[:200] or None))
    user.session_key = key
    return key


def sign_in(user: User, remember: bool = False) -> None:
    """Start a session record and sign the request in with it (Flask-Login), then commit
    (the record, and whatever the caller changed, e.g. last_login_at). The user's language
    becomes the one they sign in with: e-mails to them are written in it."""
    if has_request_context():
        user.lang = current_language()
    start_session(user, request.user_agent.string if has_request_context() else None)
    db.session.commit()
    login_user(user, remember=remember)


def remember_language(lang: str) -> None:
    """A signed-in user who switches the site's language gets their e-mails in it from now on."""
    from flask_login import current_user

    if current_user.is_authenticated and current_user.lang != lang:
        current_user.lang = lang
        db.session.commit()


@functools.cache
def _user_for_session_statement() -> sa.Select:
    # The user and its producer in one query, as db.session.get(User, id) loaded them.
    return (sa.select(User).join(UserSession, UserSession.user_id == User.id)
            .where(UserSession.key_hash == sa.bindparam("key_hash"), UserSession.revoked_at.is_(None),
                   UserSession.created_at > sa.bindparam("oldest"), User.active.is_(True)))


def oldest_live(now: datetime | None = None) -> datetime:
    """Sessions started at or before this time have lapsed (SESSION_MAX_AGE_DAYS)."""
    return (now or utcnow()) - timedelta(days=current_app.config["SESSION_MAX_AGE_DAYS"])


def user_for_session(key: str) -> User | None:
    """The active user of a live session record, or None (unknown, revoked, or a bare id)."""
    if not key or not key.startswith(KEY_PREFIX):
        return None
    user = db.session.scalar(_user_for_session_statement(),
                             {"key_hash": UserSession.digest(key), "oldest": oldest_live()})
    if user is not None:
        user.session_key = key
    return user


def end_session(key: str | None) -> None:
    """Revoke one session record (sign-out); unknown keys are ignored."""
    if key:
        db.session.execute(sa.update(UserSession)
                           .where(UserSession.key_hash == UserSession.digest(key), UserSession.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
        db.session.commit()


def sign_out(user: User | None) -> None:
    """End the current session record and Flask-Login's session (which also clears the
    remember-me cookie)."""
    end_session(getattr(user, "session_key", None))
    logout_user()


def end_other_sessions(user_id: int, keep_session: str | None = None, keep_token: str | None = None,
                       commit: bool = True) -> tuple[int, int]:
    """Revoke every live session record and API token of a user except the ones named
    (the credential the current request uses). Returns (sessions, tokens) revoked."""
    now = utcnow()
    sessions = sa.update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep_session:
        sessions = sessions.where(UserSession.key_hash != UserSession.digest(keep_session))
    tokens = sa.update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    if keep_token:
        tokens = tokens.where(ApiToken.token_hash != ApiToken.digest(keep_token))
    ended = (db.session.execute(sessions.values(revoked_at=now)).rowcount,
             db.session.execute(tokens.values(revoked_at=now)).rowcount)
    if commit:
        db.session.commit()
    return ended


def live_sessions(user_id: int) -> list[UserSession]:
    return list(db.session.scalars(
        sa.select(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None),
                                     UserSession.created_at > oldest_live())
        .order_by(UserSession.created_at.desc(), UserSession.id.desc())))


def live_token_count(user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)
                             .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))) or 0


def purge_sessions(now: datetime | None = None, batch: int = 1000,
                   progress: Callable[[int, int], None] | None = None) -> int:
    """Delete the session records no cookie can use any more (revoked, or older than
    SESSION_MAX_AGE_DAYS), `batch` rows per transaction so a large backlog never holds
    long locks; `progress(deleted, total)` after each batch. Returns the rows deleted."""
    dead = sa.or_(UserSession.revoked_at.is_not(None), UserSession.created_at <= oldest_live(now))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(dead)) or 0
    deleted = 0
    while True:
        ids = db.session.scalars(sa.select(UserSession.id).where(dead).order_by(UserSession.id).limit(batch)).all()
        if not ids:
            break
        db.session.execute(sa.delete(UserSession).where(UserSession.id.in_(ids)))
        db.session.commit()
        deleted += len(ids)
        if progress is not None:
            progress(deleted, max(total, deleted))
    return deleted
