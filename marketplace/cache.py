"""A shared cache for derived catalogue data, and the catalogue version that invalidates it.

Two parts:

- **The catalogue version** (`catalog_state()`): a counter in the database, bumped right
  after any transaction that changed a product, its certificate or images, a producer, a
  category or a locality commits (ORM flushes and ORM-enabled bulk UPDATE/DELETE are both
  seen). The checkout does not bump it: stock is kept out of what the version guards
  (`stockview.py`), so sales never queue on this row. Every app process and every
  server reads the same counter, so a change made through one server invalidates the
  caches and HTTP validators of all of them at once.
  It is read at most once per request (kept on `flask.g`); with Redis, from a copy in
  Redis that only moves forward and expires after a minute, so a cache hit or a 304
  touches no database at all.
- **The cache** (`get_cache()`; `lookup`/`store`/`remember`): Redis when `REDIS_URL` is set (shared by every process
  and server), otherwise a small in-process LRU kept on the app (`app.extensions`), never
  at module level. Entries are keyed by the catalogue version, so stale entries are never
  read; they simply age out (TTL `CACHE_TTL_S`). Values are JSON.

`remember(name, parts, compute)` is the call most sites use: the value for `parts` under
the current catalogue version, computed on a miss. `CACHE_ENABLED=0` turns it off (the
benchmark measures with and without).
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any, Callable

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from sqlalchemy.orm import Mapped, Session, mapped_column

from .extensions import db
from .timeutil import UTCDateTime, utcnow

CATALOG = "catalog"
# Tables whose rows show on public catalogue pages, in facet counts or on the home page.
CATALOG_TABLES = frozenset({"products", "certificates", "product_images", "producers", "categories",
                            "localities"})
_CHANGED = "ocop_catalog_changed"


class CacheVersion(db.Model):
    """One counter per cached domain ("catalog"), bumped after each change commits."""

    __tablename__ = "cache_versions"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


# --- the catalogue version -----------------------------------------------------------

_BUMP_STATEMENTS: dict[str, sa.Insert] = {}


def _bump_statement(dialect: str) -> sa.Insert:
    """version += 1 for :name, the row created on first use, RETURNING the new version;
    built once per dialect (its parameters are :name and :now)."""
    if dialect not in _BUMP_STATEMENTS:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        table = CacheVersion.__table__
        now = sa.bindparam("now", type_=table.c.changed_at.type)
        statement = insert(table).values(name=sa.bindparam("name"), version=1, changed_at=now)
        _BUMP_STATEMENTS[dialect] = statement.on_conflict_do_update(
            index_elements=[table.c.name], set_={"version": table.c.version + 1, "changed_at": now},
        ).returning(table.c.version)
    return _BUMP_STATEMENTS[dialect]


def _bump(bind, name: str = CATALOG) -> tuple[int, datetime]:
    """version += 1 in its own short transaction (creates the row on first use).

    One statement, so on the version pool's autocommit connections (when this app has
    them) it is its own transaction: one round trip instead of pre-ping, BEGIN, the
    statement and COMMIT on the main pool."""
    now = utcnow()
    statement, params = _bump_statement(bind.dialect.name), {"name": name, "now": now}
    autocommit = version_engine() if has_app_context() and bind is db.engine else None
    if autocommit is not None:
        version = _retrying_once(autocommit, lambda conn: conn.execute(statement, params).scalar_one())
    else:
        with bind.begin() as conn:
            version = conn.execute(statement, params).scalar_one()
    _announce(name, version, now)
    return version, now


def note_catalog_changed(session: Session) -> None:
    """Bump the version after the session's transaction commits, for a change made by a
    statement the session events do not see (e.g. a sale that empties a product's stock,
    which changes what "in stock" lists hold)."""
    session.info[_CHANGED] = True


def _announce(name: str, version: int, changed_at: datetime) -> None:
    """Tell this request and the other servers (through Redis) about a version just committed."""
    if has_app_context():
        g.pop("ocop_cache_versions", None)
        cache = get_cache()
        if isinstance(cache, RedisCache):
            cache.publish_version(name, version, changed_at)


def bump_version(name: str = CATALOG) -> None:
    """Invalidate everything cached under `name` (for changes made outside the ORM)."""
    _bump(db.engine, name)


_VERSION_QUERY = (sa.select(CacheVersion.version, CacheVersion.changed_at)
                  .where(CacheVersion.name == sa.bindparam("name")))


VERSION_POOL_SIZE = 2  # per process: gunicorn runs a couple of threads per worker


def version_engine() -> sa.Engine | None:
    """A small pool of autocommit connections for the version read and bump, kept on the app.

    A 304 or a cached body needs nothing else from the database, so the read runs outside
    the request's session: one statement, no BEGIN/ROLLBACK, and no isolation level switched
    back and forth on the main pool's connections (two extra round trips on PostgreSQL).
    No pre-ping either (it would double the round trips of a 304): a connection found dead
    is replaced and the statement retried once (`_retrying_once`). None for an in-memory SQLite
    database, which only the main engine can see."""
    app = current_app._get_current_object()
    if "ocop_version_engine" not in app.extensions:
        main = db.engine
        engine = None
        if not (main.dialect.name == "sqlite" and main.url.database in (None, "", ":memory:")):
            connect_args = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("connect_args", {})
            engine = sa.create_engine(main.url, isolation_level="AUTOCOMMIT", pool_size=VERSION_POOL_SIZE,
                                      max_overflow=VERSION_POOL_SIZE, connect_args=connect_args)
        app.extensions.setdefault("ocop_version_engine", engine)
    return app.extensions["ocop_version_engine"]


def dispose_engines(app) -> None:
    """Forget every pooled connection inherited from a parent process (gunicorn's preload:
    call in each worker after fork); the parent's connections are left open for it."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
        version = app.extensions.get("ocop_version_engine")
        if version is not None:
            version.dispose(close=False)


def quick_read(statement, params: dict) -> list:
    """The rows of a small read for a cache hit or a 304: on the autocommit pool, or in the
    request's transaction when it has one open (it may hold uncommitted changes)."""
    # Look at the request's session without creating one: a cache hit or a 304 never needs it.
    session = db.session() if db.session.registry.has() else None
    engine = None if session is not None and session.in_transaction() else version_engine()
    if engine is None:
        session = session or db.session()
        return session.execute(statement, params).all()
    return _retrying_once(engine, lambda conn: conn.execute(statement, params).all())


def _read_version(name: str) -> tuple[int, datetime | None]:
    rows = quick_read(_VERSION_QUERY, {"name": name})
    return (rows[0][0], rows[0][1]) if rows else (0, None)


def _retrying_once(engine: sa.Engine, run):
    """run(connection) on the autocommit pool, which has no pre-ping: a connection found
    dead (e.g. the database restarted) is dropped by the pool and the statement retried
    once on a fresh one."""
    try:
        with engine.connect() as conn:
            return run(conn)
    except sa.exc.DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        with engine.connect() as conn:
            return run(conn)


def catalog_state() -> tuple[int, datetime | None]:
    """(version, changed_at) of the catalogue, read once per request: from Redis when the
    cache is there (no database round trip at all), else from the database."""
    versions = g.setdefault("ocop_cache_versions", {})
    if CATALOG not in versions:
        cache = get_cache()
        state = cache.read_version(CATALOG) if isinstance(cache, RedisCache) else None
        if state is None:
            state = _read_version(CATALOG)
            if isinstance(cache, RedisCache) and state[1] is not None:
                cache.publish_version(CATALOG, *state)
        adopt_catalog_state(state)
    return versions[CATALOG]


_LAST_SEEN = "ocop_catalog_last_seen"


def last_seen_catalog_state() -> tuple[int, datetime | None] | None:
    """The catalogue state this process read last: a guess, never an answer.

    An entry looked up under it is used only once the version it names is confirmed by
    the same round trip: without Redis, the statement that reads the stock the answer
    shows (`stockview.current_with_catalog`); with Redis, `lookup_confirming`. A hit then
    costs one round trip fewer."""
    return current_app.extensions.get(_LAST_SEEN)


def lookup_confirming(name: str, parts: Any, guess: tuple[int, datetime | None]) -> str | None:
    """With Redis: the text kept for `parts` under the `guess`ed catalogue version, read in
    one round trip with the version's copy; the version read becomes this request's. The
    text counts only if `catalog_state()` then equals `guess`."""
    cache = get_cache()
    state, hit = cache.get_with_version(CATALOG, cache_key(name, parts, version_token(guess)))
    if state is not None:
        adopt_catalog_state(state)
    return hit


def adopt_catalog_state(state: tuple[int, datetime | None]) -> None:
    """Use `state`, just read from the database or Redis, as this request's catalogue state."""
    g.setdefault("ocop_cache_versions", {})[CATALOG] = state
    current_app.extensions[_LAST_SEEN] = state


def _touches_catalog(session: Session) -> bool:
    for obj in (*session.new, *session.deleted):
        if getattr(obj, "__tablename__", None) in CATALOG_TABLES:
            return True
    return any(getattr(obj, "__tablename__", None) in CATALOG_TABLES and session.is_modified(obj)
               for obj in session.dirty)


@sa.event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _flush_context) -> None:
    if _touches_catalog(session):
        session.info[_CHANGED] = True


@sa.event.listens_for(Session, "do_orm_execute")
def _note_bulk(state) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in CATALOG_TABLES:
            state.session.info[_CHANGED] = True


@sa.event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        bind = session.get_bind(mapper=CacheVersion.__mapper__)
        if isinstance(bind, sa.Engine):
            _bump(bind)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, rolled_back) -> None:
    # Only when the whole transaction rolls back: a savepoint rolling back (a duplicate
    # caught with begin_nested) leaves the transaction's earlier changes to commit.
    if rolled_back.parent is None:
        session.info.pop(_CHANGED, None)


# --- cache backends -------------------------------------------------------------------

class LocalCache:
    """In-process LRU with a TTL (one per app; thread-safe for gunicorn's threads)."""

    def __init__(self, max_entries: int = 1024):
        self.max_entries = max_entries
        self._data: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return None
            expires, value = entry
            if expires < time.monotonic():
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return value

    def set(self, key: str, value: str, ttl: int) -> None:
        with self._lock:
            self._data[key] = (time.monotonic() + ttl, value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class RedisCache:
    """Entries in Redis, shared by every process and server (keys prefixed `ocop:cache:`).

    Redis only ever holds copies: while it cannot be reached every call is a miss (or does
    nothing) and the app computes from the database. After a failure it is left alone for
    `retry_s` seconds, so an outage costs one failed call per process every few seconds
    instead of one per lookup (a Redis that hangs would otherwise add its socket timeout to
    every request); the outage and the recovery are each logged once."""

    prefix = "ocop:cache:"

    version_prefix = "ocop:version:"
    # Copies dropped when Redis comes back: the catalogue version and per-product stock
    # (stockview.py), whose bumps may have been lost during the outage.
    stale_after_outage = (version_prefix, "ocop:stock:")
    # The copy of a catalogue version in Redis only ever moves forward (a slow reader can
    # never put back an older one) and expires, so that it is re-read from the database
    # at least every VERSION_TTL_S seconds whatever happens.
    VERSION_TTL_S = 60
    _SET_IF_NEWER = """
local current = redis.call('GET', KEYS[1])
if current and tonumber(string.match(current, '^(%d+)')) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""

    def __init__(self, url: str, retry_s: float = 5.0):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._set_if_newer = self.client.register_script(self._SET_IF_NEWER)
        self.retry_s = retry_s
        self._down_until = 0.0  # time.monotonic() before which Redis is not tried
        self._down = False
        self._lock = threading.Lock()

    def guarded(self, operation: Callable[[], Any], default: Any = None) -> Any:
        """operation(), or `default` while Redis is unreachable (for other modules' keys)."""
        return self._call(operation, default)

    def _call(self, operation: Callable[[], Any], default: Any = None) -> Any:
        if self._down and (time.monotonic() < self._down_until or not self._recover()):
            return default
        try:
            return operation()
        except Exception as exc:  # noqa: BLE001 - a cache that is down is a miss, never an error
            self._failed(exc)
            return default

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self.retry_s
            if self._down:
                return
            self._down = True
        logging.getLogger(__name__).warning(
            "cache: Redis unreachable (%s); serving without the shared cache, trying it again every %g s",
            exc.__class__.__name__, self.retry_s)

    def _recover(self) -> bool:
        """Redis is tried again: first drop the catalogue version copies, which may be older
        than the database's (a bump made while Redis was away could not be published), so
        that nothing cached under an old version is served; every process then reads the
        version from the database and publishes it again."""
        try:
            for prefix in self.stale_after_outage:
                for key in self.client.scan_iter(prefix + "*"):
                    self.client.delete(key)
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)
            return False
        with self._lock:
            was_down, self._down = self._down, False
        if was_down:
            logging.getLogger(__name__).warning("cache: Redis reachable again; using the shared cache")
        return True

    def read_version(self, name: str) -> tuple[int, datetime] | None:
        return self._version(self._call(lambda: self.client.get(self.version_prefix + name)))

    @staticmethod
    def _version(value: bytes | None) -> tuple[int, datetime] | None:
        if not value:
            return None
        version, stamp = value.decode().split("|")
        return int(version), datetime.fromtimestamp(int(stamp) / 1_000_000, tz=UTC)

    def get_with_version(self, name: str, key: str) -> tuple[tuple[int, datetime] | None, str | None]:
        """The copy of version `name` and the entry `key`, in one round trip."""
        def both():
            pipe = self.client.pipeline(transaction=False)
            pipe.get(self.version_prefix + name)
            pipe.get(self.prefix + key)
            return pipe.execute()

        version, value = self._call(both, (None, None))
        return self._version(version), (value.decode() if value is not None else None)

    def publish_version(self, name: str, version: int, changed_at: datetime) -> None:
        # When this fails, readers fall back to the database once the copy expires, or at
        # once when Redis comes back (_recover drops the copies).
        stamp = int(changed_at.timestamp() * 1_000_000)
        self._call(lambda: self._set_if_newer(keys=[self.version_prefix + name],
                                              args=[version, f"{version}|{stamp}", self.VERSION_TTL_S]))

    def get(self, key: str) -> str | None:
        value = self._call(lambda: self.client.get(self.prefix + key))
        return value.decode() if value is not None else None

    def set(self, key: str, value: str, ttl: int) -> None:
        self._call(lambda: self.client.set(self.prefix + key, value, ex=ttl))

    def clear(self) -> None:
        for key in self.client.scan_iter(self.prefix + "*"):
            self.client.delete(key)


def get_cache() -> LocalCache | RedisCache:
    app = current_app._get_current_object()
    cache = app.extensions.get("ocop_cache")
    if cache is None:
        url = app.config.get("CACHE_REDIS_URL") or app.config.get("REDIS_URL")
        cache = RedisCache(url, app.config.get("CACHE_REDIS_RETRY_S", 5)) if url else LocalCache()
        app.extensions["ocop_cache"] = cache
    return cache


def version_token(state: tuple[int, datetime | None] | None = None) -> str:
    """The catalogue version (this request's, or `state`) as a short token; the bump time
    makes it unique even when the counter restarts (a restored or emptied database)."""
    version, changed_at = state or catalog_state()
    stamp = int(changed_at.timestamp() * 1_000_000) if changed_at else 0
    return f"{version}.{stamp:x}"


def cache_key(name: str, parts: Any, token: str) -> str:
    digest = hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]
    return f"{name}:{token}:{digest}"


def enabled() -> bool:
    return bool(current_app.config.get("CACHE_ENABLED", True))


def lookup_text(name: str, parts: Any, state: tuple[int, datetime | None] | None = None) -> str | None:
    """The text kept for `parts` under the current catalogue version (or `state`'s), or None."""
    return get_cache().get(cache_key(name, parts, version_token(state)))


def lookup(name: str, parts: Any) -> Any:
    """The cached JSON value for `parts` under the current catalogue version, or None."""
    hit = lookup_text(name, parts)
    return json.loads(hit) if hit is not None else None


def store_text(name: str, parts: Any, text: str) -> None:
    get_cache().set(cache_key(name, parts, version_token()), text, current_app.config.get("CACHE_TTL_S", 300))


def store(name: str, parts: Any, value: Any) -> None:
    store_text(name, parts, json.dumps(value, ensure_ascii=False))


def remember(name: str, parts: Any, compute: Callable[[], Any]) -> Any:
    """The JSON value of `compute()` for `parts`, cached under the current catalogue version."""
    if not enabled():
        return compute()
    value = lookup(name, parts)
    if value is None:
        value = compute()
        store(name, parts, value)
    return value
