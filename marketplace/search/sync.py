"""The index follows the database: session events queue what a transaction touched.

- after_flush / do_orm_execute: remember the products, producers, categories and
  localities a transaction changed (bulk UPDATE statements on products, certificates
  or producers too: their rows get a fresh `updated_at`).
- PostgreSQL backend: before_commit writes the search rows in the same transaction, so
  they commit or roll back with the change itself.
- Whoosh backend: after_commit applies the queued changes (re-reading the committed
  rows); a rollback discards the queue, so a failed transaction never touches the index.
Queuing too much is harmless: applying a change re-reads the database.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy.orm import Session

from ..catalog.models import Category, Certificate, Locality, Producer, Product
from ..extensions import db
from ..timeutil import utcnow
from .documents import Changes

log = logging.getLogger(__name__)

KEY = "search_changes"
BULK_TABLES = {"products", "certificates", "producers"}
PRODUCER_FIELDS = ("approved", "suspended_at", "name", "locality_id")
CATEGORY_FIELDS = ("name_vi", "slug", "parent_id")
LOCALITY_FIELDS = ("name", "slug", "region", "region_slug")


def listen() -> None:
    if sa.event.contains(db.session, "after_flush", _after_flush):
        return
    sa.event.listen(db.session, "after_flush", _after_flush)
    sa.event.listen(db.session, "do_orm_execute", _do_orm_execute)
    sa.event.listen(db.session, "before_commit", _before_commit)
    sa.event.listen(db.session, "after_commit", _after_commit)
    sa.event.listen(db.session, "after_soft_rollback", _after_soft_rollback)


def _changes(session: Session) -> Changes:
    changes = session.info.get(KEY)
    if changes is None:
        changes = session.info[KEY] = Changes()
    return changes


def note_products(session: Session, product_ids) -> None:
    """Queue products whose documents changed through a statement run on the session's
    connection directly (which the events here do not see), e.g. a product selling out."""
    ids = {int(i) for i in product_ids}
    if ids:
        _changes(session).products.update(ids)


def _touched(obj, names) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _after_flush(session: Session, _context) -> None:
    changes = None
    for collection, is_dirty in ((session.new, False), (session.dirty, True), (session.deleted, False)):
        for obj in collection:
            if isinstance(obj, Product):
                target, value = "products", obj.id
            elif isinstance(obj, Certificate):
                target, value = "products", obj.product_id
            elif isinstance(obj, Producer) and (not is_dirty or _touched(obj, PRODUCER_FIELDS)):
                target, value = "producers", obj.id
            elif isinstance(obj, Category) and is_dirty and _touched(obj, CATEGORY_FIELDS):
                target, value = "categories", obj.id
            elif isinstance(obj, Locality) and is_dirty and _touched(obj, LOCALITY_FIELDS):
                target, value = "localities", obj.id
            else:
                continue
            if value is not None:
                changes = changes or _changes(session)
                getattr(changes, target).add(value)


def _do_orm_execute(state) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in BULK_TABLES:
        changes = _changes(state.session)
        if changes.bulk_since is None:
            changes.bulk_since = utcnow() - timedelta(seconds=1)


def _before_commit(session: Session) -> None:
    # The commit has not flushed yet: pending edits are not in the queue until we do.
    if not (session.info.get(KEY) or session.new or session.dirty or session.deleted) or not has_app_context():
        return
    from .backend import get_backend

    backend = get_backend()
    if not backend.transactional:
        return
    session.flush()
    changes = session.info.pop(KEY, None)
    if changes:
        backend.write(session, changes.resolve(session))


def _after_commit(session: Session) -> None:
    changes = session.info.pop(KEY, None)
    if not changes or not has_app_context():
        return
    from .backend import get_backend

    try:
        backend = get_backend()
        if backend.transactional:
            return
        with Session(db.engine) as reader:
            ids = changes.resolve(reader)
        backend.apply(ids)
    except Exception:  # noqa: BLE001 - the commit stands; the journal or a reindex catches up
        log.exception("search index update failed")


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(KEY, None)
