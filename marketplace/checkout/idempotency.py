"""Safe retries of a checkout: the `Idempotency-Key` header of the API, the hidden field of
the web form.

The same key with the same body (within KEY_LIFETIME) gets the first answer: the same order
and payment, nothing created again. The same key with another body is refused (422). The
key is written in the very transaction that creates the order, under a unique (owner, key)
constraint: of two concurrent requests with one key, one creates the order and the other
fails at that INSERT (on PostgreSQL it waits for the first to commit) and is answered with
the first one's order. Keys belong to the signed-in user; guests share one space, so a
client should use a random key (a UUID).
"""
from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..timeutil import utcnow
from .models import IdempotencyKey

KEY_LIFETIME = timedelta(hours=24)
# A request that committed its order but has not stored its answer yet is still starting the
# payment (a provider call): a retry meanwhile is told to wait rather than start a second one.
IN_FLIGHT = timedelta(seconds=60)
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as header values travel safely
HEADER = "Idempotency-Key"

_TABLE = IdempotencyKey.__table__
_CLAIM = sa.insert(_TABLE)
_FIND = sa.select(IdempotencyKey).where(IdempotencyKey.owner == sa.bindparam("owner"),
                                        IdempotencyKey.key == sa.bindparam("key"))


class KeyTaken(Exception):
    """Another request with this key created its order first (raised with nothing written)."""


@dataclass(frozen=True)
class Retry:
    """What identifies a request for retries: who sent it, its key and its body's fingerprint."""

    owner: str
    key: str
    fingerprint: str


def new_key() -> str:
    return uuid.uuid4().hex


def owner_of(user) -> str:
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.id}"
    return "guest"


def fingerprint(body) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def retry_of(key: str | None, user, body, field: str = HEADER) -> Retry | None:
    """The request's Retry, None without a key; a malformed key is refused (422)."""
    if key is None:
        return None
    if not KEY_PATTERN.fullmatch(key):
        message = _("The idempotency key must be 1 to 255 visible ASCII characters.")
        raise ValidationFailed(message, fields={field: [message]})
    return Retry(owner_of(user), key, fingerprint(body))


@dataclass(frozen=True)
class Earlier:
    """The live record of a key already used with the same body."""

    order_code: str
    response: dict | None
    in_flight: bool


def earlier(retry: Retry) -> Earlier | None:
    """The first request's outcome for this key, or None when the key is new (or expired:
    its old record is then deleted so the key can be used again). The same key with another
    body: 422 `idempotency_key_reused`."""
    record = db.session.scalars(_FIND, {"owner": retry.owner, "key": retry.key}).first()
    if record is None:
        return None
    now = utcnow()
    if record.expires_at <= now:
        db.session.execute(sa.delete(_TABLE).where(_TABLE.c.id == record.id))
        db.session.commit()
        return None
    if record.fingerprint != retry.fingerprint:
        db.session.rollback()
        message = _("This idempotency key was already used for another request.")
        raise ValidationFailed(message, code="idempotency_key_reused", fields={HEADER: [message]})
    earlier_ = Earlier(record.order_code, json.loads(record.response) if record.response else None,
                       in_flight=record.response is None and now - record.created_at < IN_FLIGHT)
    db.session.rollback()
    return earlier_


def claim(retry: Retry, order_code: str) -> None:
    """Inside the order's transaction: take the key for this order (KeyTaken if another
    request holds it). Runs on the transaction's connection like the order's own rows."""
    now = utcnow()
    try:
        db.session.connection().execute(_CLAIM, {
            "owner": retry.owner, "key": retry.key, "fingerprint": retry.fingerprint, "order_code": order_code,
            "response": None, "created_at": now, "expires_at": now + KEY_LIFETIME})
    except IntegrityError as exc:  # the whole transaction rolls back: nothing of this order stays
        raise KeyTaken() from exc


def remember_answer(retry: Retry, body: dict) -> None:
    """Keep the first answer for the retries to come (after the payment has started)."""
    db.session.execute(sa.update(_TABLE).where(_TABLE.c.owner == retry.owner, _TABLE.c.key == retry.key)
                       .values(response=json.dumps(body, ensure_ascii=False, default=str)))
    db.session.commit()


def still_in_flight() -> Conflict:
    return Conflict(_("An earlier request with this idempotency key is still being processed; retry shortly."),
                    code="idempotency_in_progress")


def forget_expired() -> int:
    """Delete the keys older than their lifetime (cron); returns how many."""
    deleted = db.session.execute(sa.delete(_TABLE).where(_TABLE.c.expires_at <= utcnow())).rowcount
    db.session.commit()
    return deleted
