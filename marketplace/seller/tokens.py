"""A member's API tokens: Bearer tokens for the cooperative's own software.

A token acts as the member who created it; it is shown once, and only its owner can list
or revoke it (another user's token is not found).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext

from .. import audit
from ..accounts.models import ApiToken, User
from ..accounts.services import issue_token
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..timeutil import utcnow


def api_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def create_api_token(user: User, name: str) -> str:
    """A Bearer token for the cooperative's own software, acting as this member. Shown once."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        message = gettext("Name the token, e.g. “stock software”")
        raise ValidationFailed(message, fields={"name": [message]})
    token = issue_token(user, name)
    audit.record(user, "api_token.created", "user", user.id, after={"name": name, "prefix": token[:12]})
    db.session.commit()
    return token


def revoke_api_token(user: User, token_id) -> ApiToken:
    """Revoke one of the member's own tokens (another user's token is not found)."""
    try:
        token_id = int(token_id)
    except (TypeError, ValueError):
        token_id = 0
    record = db.session.scalar(sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if record is None:
        raise NotFound(gettext("Token not found"))
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        audit.record(user, "api_token.revoked", "user", user.id, after={"name": record.name, "prefix": record.prefix})
        db.session.commit()
    return record
