"""Run a unit of work in one transaction, retrying when the database asks us to.

SQLite allows one writer at a time: a writer that cannot get the lock within
`busy_timeout` fails with "database is locked" (and in WAL mode a transaction
whose snapshot went stale fails at once). PostgreSQL may abort a transaction
with a serialization failure or a deadlock. In each case the whole transaction
is safe to run again from the start, which is what `run_in_transaction` does.
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

from .extensions import db

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
RETRYABLE_SQLITE_MESSAGES = ("database is locked", "database is busy", "database table is locked")


def is_retryable(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    message = str(orig).lower()
    return any(text in message for text in RETRYABLE_SQLITE_MESSAGES)


def run_in_transaction(work: Callable[[], T], attempts: int = 8, keep_loaded: bool = False) -> T:
    """Call `work()` and commit; on a retryable database error roll back and run it again.

    Anything else `work` raises (a DomainError, say) rolls back and propagates:
    nothing is half-written. `keep_loaded=True` commits without expiring the objects
    the session holds, so a caller that answers from what it has just written (the
    checkout) does not read it all back; use it only when nothing else can have
    changed those objects in between (their rows were written by this transaction).
    """
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            _commit(keep_loaded)
            return result
        except Exception as exc:
            db.session.rollback()
            if attempt == attempts or not is_retryable(exc):
                raise
            delay = min(0.5, 0.01 * 2 ** attempt) * (0.5 + random.random())
            log.info("transaction retry %d after %s", attempt, exc.__class__.__name__)
            time.sleep(delay)
    raise AssertionError("unreachable")


def _commit(keep_loaded: bool) -> None:
    if not keep_loaded:
        db.session.commit()
        return
    with keeping_loaded():
        db.session.commit()


@contextmanager
def keeping_loaded():
    """Commits inside this block leave the session's objects loaded (not expired)."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = expire
