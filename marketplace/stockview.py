"""Per-product stock for cached catalogue answers, so that a sale invalidates only what it sold.

A cached page or API answer (`httpcache.catalog_conditional`) is keyed by the catalogue
version, which moves on catalogue edits only. Stock moves on every sale, so it is kept out
of that key: while a view runs, the stock of every product it loaded is noted (`watch()`,
then `shown()`), and the cached answer carries that {product id: stock} map. A later request
serves the cached answer only while the current stock of those products is the same
(`current(ids)`), and the ETag includes the map. A checkout therefore writes no shared row
and leaves every other product's pages cached.

Where the current stock comes from:

- With Redis (the several-server set-up): a copy per product, `ocop:stock:<id>` =
  "<version>|<stock>", all read with one MGET together with the per-product versions
  `ocop:stockv:<id>`. A writer bumps the versions of the products it changed after its
  commit (`note_changed`), which makes their copies invalid on every server at once. A
  reader that finds no valid copy reads the database and stores the value only if the
  version is still the one it saw before reading (a Lua script), so a slow reader can never
  put back a value older than a sale. Copies expire after STOCK_TTL_S, bounding how long a
  bump lost to a Redis outage can matter.
- Without Redis: one indexed query on the products' primary key; for a cached answer, the
  same statement also reads the catalogue version (`current_with_catalog`).

Changes that alter which products a list holds (a product selling out or coming back in
stock: "in stock" filters and counts) still move the catalogue version; so do catalogue
edits, which reach `products.stock` through the ORM.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import g, has_app_context
from sqlalchemy.orm import Session, object_session

from . import cache
from .cache import RedisCache, get_cache

STOCK_PREFIX = "ocop:stock:"
VERSION_PREFIX = "ocop:stockv:"
STOCK_TTL_S = 60
VERSION_TTL_S = 86_400
_CHANGED = "ocop_stock_changed"
_SHOWN = "ocop_stock_shown"

_PRODUCTS = sa.table("products", sa.column("id", sa.Integer), sa.column("stock", sa.Integer))
_STOCK_QUERY = (sa.select(_PRODUCTS.c.id, _PRODUCTS.c.stock)
                .where(_PRODUCTS.c.id.in_(sa.bindparam("ids", expanding=True))))

# A version first created from the server's clock, then incremented: a key lost to eviction
# or expiry is recreated with a value no surviving copy can carry.
_NEW_VERSION = """
local function fresh()
  local now = redis.call('TIME')
  return now[1] .. string.format('%06d', tonumber(now[2]))
end
"""
_BUMP = _NEW_VERSION + """
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then redis.call('INCR', key) else redis.call('SET', key, fresh()) end
  redis.call('EXPIRE', key, ARGV[1])
end
return 1
"""
# KEYS: version, copy pairs; ARGV: ttl, version ttl, then (version seen or "", stock) pairs.
_FILL = _NEW_VERSION + """
for i = 1, #KEYS, 2 do
  local seen, stock = ARGV[i + 2], ARGV[i + 3]
  local current = redis.call('GET', KEYS[i])
  if seen == '' and not current then
    current = fresh()
    redis.call('SET', KEYS[i], current, 'EX', ARGV[2])
    seen = current
  end
  if current == seen then redis.call('SET', KEYS[i + 1], current .. '|' .. stock, 'EX', ARGV[1]) end
end
return 1
"""


# --- what a view showed -----------------------------------------------------------------

def watch() -> None:
    """Start noting the stock of the products loaded while this request's view runs."""
    g.setdefault(_SHOWN, {})


def shown() -> dict[int, int]:
    return dict(g.get(_SHOWN) or {})


def watch_model(model) -> None:
    """Note `id` and `stock` of each `model` row loaded (or reloaded) while watching; the
    catalogue registers its Product here (this module stays below the catalogue)."""

    def note(target, *_args) -> None:
        if not has_app_context():
            return
        seen = g.get(_SHOWN)
        stock = target.__dict__.get("stock")
        if seen is not None and stock is not None and target.__dict__.get("id") is not None:
            seen[target.id] = int(stock)

    def edited(_mapper, _connection, target) -> None:
        # An edit through the ORM (a seller's stock form) also moves the catalogue version;
        # bumping the product's copies too spares pages a re-render until the copy expires.
        session = object_session(target)
        if session is not None and sa.inspect(target).attrs.stock.history.has_changes():
            note_changed(session, [target.id])

    sa.event.listen(model, "load", note)
    sa.event.listen(model, "refresh", note)
    sa.event.listen(model, "after_update", edited)


# --- the current stock --------------------------------------------------------------------

def _from_database(ids) -> dict[int, int]:
    return {int(pid): int(stock) for pid, stock in cache.quick_read(_STOCK_QUERY, {"ids": sorted(ids)})}


_VERSIONS = cache.CacheVersion.__table__
# The catalogue's version row with the stock of the given products beside it: one row per
# product found, or one row with no product.
_STOCK_WITH_CATALOG_QUERY = (
    sa.select(_VERSIONS.c.version, _VERSIONS.c.changed_at, _PRODUCTS.c.id, _PRODUCTS.c.stock)
    .select_from(_VERSIONS.outerjoin(_PRODUCTS, _PRODUCTS.c.id.in_(sa.bindparam("ids", expanding=True))))
    .where(_VERSIONS.c.name == cache.CATALOG))


def current_with_catalog(ids) -> tuple[tuple[int, datetime | None], dict[int, int]]:
    """(catalogue state, {id: stock}) read together by one statement from the database:
    what a cached answer needs to be served without Redis (see
    `cache.last_seen_catalog_state`)."""
    rows = cache.quick_read(_STOCK_WITH_CATALOG_QUERY, {"ids": sorted({int(i) for i in ids})})
    if not rows:  # the catalogue has never changed: no version row yet
        return (0, None), current(ids)
    state = (rows[0][0], rows[0][1])
    return state, {int(pid): int(stock) for _, _, pid, stock in rows if pid is not None}


def current(ids) -> dict[int, int]:
    """{id: stock} of these products now (a product that no longer exists is left out)."""
    ids = sorted({int(i) for i in ids})
    if not ids:
        return {}
    redis_cache = get_cache()
    if not isinstance(redis_cache, RedisCache):
        return _from_database(ids)
    keys = [STOCK_PREFIX + str(i) for i in ids] + [VERSION_PREFIX + str(i) for i in ids]
    values = redis_cache.guarded(lambda: redis_cache.client.mget(keys))
    if values is None:
        return _from_database(ids)
    found: dict[int, int] = {}
    seen_versions: dict[int, str] = {}
    for pid, copy, version in zip(ids, values[:len(ids)], values[len(ids):]):
        version = version.decode() if version is not None else ""
        if copy is not None and version:
            copy_version, stock = copy.decode().split("|")
            if copy_version == version:
                found[pid] = int(stock)
                continue
        seen_versions[pid] = version
    if seen_versions:
        fresh = _from_database(seen_versions)
        found.update(fresh)
        keys, args = [], [STOCK_TTL_S, VERSION_TTL_S]
        for pid, stock in fresh.items():
            keys += [VERSION_PREFIX + str(pid), STOCK_PREFIX + str(pid)]
            args += [seen_versions[pid], stock]
        if keys:
            redis_cache.guarded(lambda: redis_cache.client.eval(_FILL, len(keys), *keys, *args))
    return found


# --- writers --------------------------------------------------------------------------------

def note_changed(session: Session, product_ids) -> None:
    """The stock of these products changes in the session's transaction: once it commits,
    their copies become invalid on every server. Called for statements run on the
    connection directly (the checkout, stock releases) and for ORM edits (`watch_model`)."""
    session.info.setdefault(_CHANGED, set()).update(int(i) for i in product_ids)


@sa.event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    changed = session.info.pop(_CHANGED, None)
    if not changed or not has_app_context():
        return
    redis_cache = get_cache()
    if isinstance(redis_cache, RedisCache):
        keys = [VERSION_PREFIX + str(pid) for pid in sorted(changed)]
        redis_cache.guarded(lambda: redis_cache.client.eval(_BUMP, len(keys), *keys, VERSION_TTL_S))


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, rolled_back) -> None:
    if rolled_back.parent is None:
        session.info.pop(_CHANGED, None)
