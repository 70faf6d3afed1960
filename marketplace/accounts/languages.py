"""Which language the readers of some addresses read (their accounts' `lang`)."""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..mail.language import language
from ..mail.outbox import recipients_of
from .models import User


def languages_of(to, default: str | None = None) -> dict[str, list[str]]:
    """The addresses of `to` grouped by their readers' language: a user's own, else `default`
    (Vietnamese unless given)."""
    addresses = recipients_of(to)
    if not addresses:
        return {}
    known = {email.lower(): lang for email, lang in db.session.execute(
        sa.select(User.email, User.lang).where(sa.func.lower(User.email).in_([a.lower() for a in addresses])))}
    groups: dict[str, list[str]] = {}
    for address in addresses:
        groups.setdefault(language(known.get(address.lower(), default)), []).append(address)
    return groups
