"""Queueing messages with the change they report, and sending them, with retries.

`send_after_commit` writes the message into the `outgoing_mail` table on the current
transaction: a rolled-back change sends nothing, and a committed one cannot lose its
message to a crash or to a mail server that is down. Sending is `deliver_due` (the
worker, `flask mail worker`, or cron, `flask mail send-due`), or, with
MAIL_DELIVERY=inline, the process that queued the message right after its commit.
A message not accepted is tried again later (1, 2, 4 … minutes, at most 6 hours apart)
and given up after MAIL_MAX_ATTEMPTS tries, or at once when the server refuses it for good.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import make_msgid

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session
from flask_babel import gettext

from ..audit import record
from ..errors import Conflict, NotFound
from ..extensions import db
from ..timeutil import utcnow
from .message import MESSAGE_ID_DOMAIN, Postman, build_message, is_permanent
from .models import MAIL_STATUSES, OutgoingMail

log = logging.getLogger(__name__)

# How long a sender holds the messages it took: if it dies, they are sent by another after this.
LEASE = timedelta(minutes=10)
MAX_RETRY_DELAY = timedelta(hours=6)
# session.info: (row, savepoint it was queued in or None), to send once the transaction commits
_QUEUED = "mail_queued_inline"

_table = OutgoingMail.__table__
_INSERT = sa.insert(_table).returning(_table.c.id)


def recipients_of(to: str | Iterable[str] | None) -> list[str]:
    """The addresses in `to` (one, or several), blanks and repeats left out."""
    items = [to] if isinstance(to, str) else list(to or ())
    return list(dict.fromkeys(a.strip() for a in items if a and a.strip()))


def sends_inline() -> bool:
    """MAIL_DELIVERY=inline: the process that queues a message sends it after the commit
    (else `flask mail worker` does)."""
    return current_app.config["MAIL_DELIVERY"] == "inline"


def send_after_commit(to, subject: str, text: str, html: str | None = None) -> None:
    """Queue a message in the current transaction; it goes out once that transaction commits."""
    recipients = recipients_of(to)
    if not recipients:
        return
    inline = sends_inline()
    now = utcnow()
    row = {"recipients": ", ".join(recipients), "subject": subject, "body_text": text, "body_html": html,
           "message_id": make_msgid(domain=MESSAGE_ID_DOMAIN), "status": "pending", "attempts": 0,
           "created_at": now, "next_attempt_at": now, "sent_at": None, "last_error": None,
           # held by this process until it has tried, so a worker running meanwhile leaves it alone
           "locked_until": now + LEASE if inline else None}
    session = db.session()
    row["id"] = session.connection().execute(_INSERT, row).scalar_one()
    if inline:
        session.info.setdefault(_QUEUED, []).append((row, session.get_nested_transaction()))


@sa.event.listens_for(Session, "after_commit")
def _send_queued(session: Session) -> None:
    queued = session.info.pop(_QUEUED, None)
    if not queued:
        return
    rows = [row for row, _savepoint in queued]
    try:
        _send(session.get_bind(mapper=OutgoingMail.__mapper__), rows, utcnow())
    except Exception:  # noqa: BLE001 - the change is committed: never fail its caller now
        # (e.g. the database went away before the outcome was written): the messages stay
        # pending, held until LEASE runs out, then the worker or cron sends them.
        log.exception("outbox: %d message(s) left for the next sender", len(rows))


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_queued(session: Session, rolled_back) -> None:
    """The transaction rolled back: its messages are gone, and so are those of a savepoint
    that rolled back (the rest of the transaction, and its messages, go on)."""
    queued = session.info.get(_QUEUED)
    if not queued:
        return
    if rolled_back.parent is None:
        session.info.pop(_QUEUED)
    elif rolled_back.nested:
        session.info[_QUEUED] = [(row, savepoint) for row, savepoint in queued
                                 if not _inside(savepoint, rolled_back)]


def _inside(savepoint, rolled_back) -> bool:
    while savepoint is not None:
        if savepoint is rolled_back:
            return True
        savepoint = savepoint.parent
    return False


def deliver_due(now: datetime | None = None, batch: int = 50) -> Counter:
    """Send every message that is due, `batch` at a time; Counter of "sent", "retry", "failed".

    Safe to run on several machines at once: each batch is taken with one UPDATE (rows
    locked by another sender are skipped on PostgreSQL), so no message goes out twice."""
    now = now or utcnow()
    engine = db.engine
    report: Counter = Counter()
    while rows := _claim(engine, now, batch):
        report.update(_send(engine, rows, now))
    return report


def _claim(engine: sa.Engine, now: datetime, limit: int) -> list[dict]:
    due = (sa.select(_table.c.id)
           .where(_table.c.status == "pending", _table.c.next_attempt_at <= now,
                  sa.or_(_table.c.locked_until.is_(None), _table.c.locked_until <= now))
           .order_by(_table.c.next_attempt_at, _table.c.id).limit(limit)
           .with_for_update(skip_locked=True))
    with engine.begin() as conn:
        rows = conn.execute(sa.update(_table).where(_table.c.id.in_(due)).values(locked_until=now + LEASE)
                            .returning(*_table.c)).mappings().all()
    return sorted((dict(r) for r in rows), key=lambda r: r["id"])


def _send(engine: sa.Engine, rows: list[dict], now: datetime) -> Counter:
    """Hand `rows` to the mail server over one connection, then record each outcome."""
    outcomes = []
    with Postman(current_app.config) as postman:
        for row in rows:
            try:
                postman.send(build_message(row["recipients"].split(", "), row["subject"], row["body_text"],
                                           row["body_html"], message_id=row["message_id"]))
                outcomes.append((row, None))
            except Exception as exc:  # noqa: BLE001 - whatever the server did, the message waits for a retry
                outcomes.append((row, exc))
    return _record(engine, outcomes, now)


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed try: 1, 2, 4 … minutes, at most MAX_RETRY_DELAY."""
    return min(timedelta(minutes=2 ** min(attempts - 1, 20)), MAX_RETRY_DELAY)


def _record(engine: sa.Engine, outcomes: list[tuple[dict, Exception | None]], now: datetime) -> Counter:
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    report: Counter = Counter()
    sent = [row["id"] for row, exc in outcomes if exc is None]
    failures = []
    for row, exc in outcomes:
        if exc is None:
            continue
        attempts = row["attempts"] + 1
        give_up = attempts >= max_attempts or is_permanent(exc)
        error = f"{exc.__class__.__name__}: {exc}"[:300]
        log.log(logging.ERROR if give_up else logging.WARNING, "mail %s to %s not sent (try %d%s): %s",
                row["id"], ", ".join(a.rsplit("@", 1)[-1] for a in row["recipients"].split(", ")), attempts,
                ", given up" if give_up else "", exc.__class__.__name__)
        failures.append({"mail_id": row["id"], "attempts": attempts, "status": "failed" if give_up else "pending",
                         "next_attempt_at": now + retry_delay(attempts), "last_error": error})
        report["failed" if give_up else "retry"] += 1
    report["sent"] = len(sent)
    with engine.begin() as conn:
        if sent:
            conn.execute(sa.update(_table).where(_table.c.id.in_(sent))
                         .values(status="sent", sent_at=now, attempts=_table.c.attempts + 1, locked_until=None))
        if failures:
            conn.execute(sa.update(_table).where(_table.c.id == sa.bindparam("mail_id"))
                         .values(status=sa.bindparam("status"), attempts=sa.bindparam("attempts"),
                                 next_attempt_at=sa.bindparam("next_attempt_at"),
                                 last_error=sa.bindparam("last_error"), locked_until=None), failures)
    return +report


def purge(now: datetime | None = None) -> int:
    """Delete messages sent or given up more than MAIL_KEEP_DAYS ago (they hold personal data)."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["MAIL_KEEP_DAYS"])
    with db.engine.begin() as conn:
        return conn.execute(sa.delete(_table).where(_table.c.status != "pending",
                                                    _table.c.created_at < cutoff)).rowcount


def status() -> dict:
    """Counts by status and the oldest pending message's age (`given_up` lists the failed)."""
    session = db.session
    counts = dict(session.execute(sa.select(_table.c.status, sa.func.count()).group_by(_table.c.status)).all())
    oldest = session.execute(sa.select(sa.func.min(_table.c.created_at))
                             .where(_table.c.status == "pending")).scalar()
    return {"counts": {s: counts.get(s, 0) for s in MAIL_STATUSES},
            "oldest_pending_age": (utcnow() - oldest) if oldest else None}


def given_up(limit: int = 50) -> list[OutgoingMail]:
    """The last messages given up, newest first (the admin's Email page)."""
    return list(db.session.scalars(sa.select(OutgoingMail).where(OutgoingMail.status == "failed")
                                   .order_by(OutgoingMail.id.desc()).limit(limit)))


def resend(actor, mail_id: int) -> OutgoingMail:
    """Put a message that was given up back in the queue, due now, with a fresh count of tries
    (the address was corrected, the mail server fixed …). Audited."""
    mail = db.session.get(OutgoingMail, mail_id, with_for_update=True)
    if mail is None:
        raise NotFound(gettext("Message not found"))
    if mail.status != "failed":
        raise Conflict(gettext("Only a message that was given up can be sent again"))
    mail.status, mail.attempts, mail.next_attempt_at, mail.locked_until = "pending", 0, utcnow(), None
    record(actor, "mail.resend", "outgoing_mail", mail.id, note=mail.subject[:200])
    db.session.commit()
    return mail
