"""The shared cache of listing counts and facets: hits, invalidation after a change, and
one Redis shared by several app processes."""
from __future__ import annotations

import pytest

from marketplace.cache import LocalCache, RedisCache, get_cache, remember
from marketplace.extensions import db as _db
from tests import factories as f


@pytest.fixture
def cache_on(app):
    app.config["CACHE_ENABLED"] = True
    app.extensions.pop("ocop_cache", None)
    yield app
    app.config["CACHE_ENABLED"] = False
    app.extensions.pop("ocop_cache", None)


@pytest.fixture
def redis_cache(app, cache_on, redis_db):
    app.config["CACHE_REDIS_URL"] = redis_db
    app.extensions.pop("ocop_cache", None)
    yield redis_db
    app.config.pop("CACHE_REDIS_URL")


def facets(client, query: str = "") -> dict:
    response = client.get("/api/v1/products?" + query)
    assert response.status_code == 200
    return response.get_json()


def test_counts_and_facets_are_computed_once_per_catalogue_version(cache_on, client, db, query_counter):
    beverages = f.category("Đồ uống", "Beverages")
    for _ in range(3):
        f.product(cat=beverages, stars=4)
    with query_counter() as cold:
        first = facets(client)
    with query_counter() as warm:
        second = facets(client, "page=2&per_page=2")  # another page of the same result: same counts
    assert first["total"] == second["total"] == 3
    assert first["facets"] == second["facets"]
    assert first["facets"]["stars"] == {"3": 0, "4": 3, "5": 0}
    # The grouped count-and-facets scan runs on the miss only.
    assert sum("GROUP BY" in s for s in cold.statements) == 1, cold.statements
    assert not any("GROUP BY" in s for s in warm.statements), warm.statements


def test_a_change_is_counted_at_once(cache_on, client, db):
    beverages = f.category("Đồ uống", "Beverages")
    f.product(cat=beverages, stars=4)
    assert facets(client)["facets"]["stars"]["5"] == 0
    f.product(cat=beverages, stars=5)
    after = facets(client)
    assert after["total"] == 2
    assert after["facets"]["stars"]["5"] == 1


def test_filters_have_their_own_entries(cache_on, client, db):
    beverages = f.category("Đồ uống", "Beverages")
    f.product(cat=beverages, stars=4, price_vnd=50_000)
    f.product(cat=beverages, stars=5, price_vnd=500_000)
    assert facets(client)["total"] == 2
    assert facets(client, "price_min=100000")["total"] == 1
    assert facets(client, "stars=4")["facets"]["stars"] == {"3": 0, "4": 1, "5": 0}


def test_redis_entries_are_shared_by_every_process(redis_cache, app, client, db):
    f.product()
    calls = []

    def compute():
        calls.append(1)
        return {"answer": 42, "text": "Hạ Long"}

    with app.test_request_context():
        assert isinstance(get_cache(), RedisCache)
        assert remember("demo", {"q": "hạ long"}, compute) == {"answer": 42, "text": "Hạ Long"}
    # Another server: its own Redis client, same Redis.
    app.extensions["ocop_cache"] = RedisCache(redis_cache)
    with app.test_request_context():
        assert remember("demo", {"q": "hạ long"}, compute) == {"answer": 42, "text": "Hạ Long"}
    assert len(calls) == 1
    # An in-process cache is private to its process.
    app.extensions["ocop_cache"] = LocalCache()
    with app.test_request_context():
        remember("demo", {"q": "hạ long"}, compute)
    assert len(calls) == 2


def test_redis_cache_serves_the_api_after_an_edit_on_another_server(redis_cache, app, client, db):
    tea = f.product("Trà hoa vàng", stars=4)
    assert facets(client)["facets"]["stars"]["4"] == 1
    app.extensions["ocop_cache"] = RedisCache(redis_cache)  # "server B"
    tea.status = "archived"
    db.session.commit()
    assert facets(client)["total"] == 0


def test_an_unreachable_redis_is_a_miss_not_an_error(cache_on, app, client, db):
    from marketplace.cache import RedisCache as Cache

    f.product()
    app.extensions["ocop_cache"] = Cache("redis://127.0.0.1:9/0")  # nothing listens on port 9
    assert facets(client)["total"] == 1


def test_the_local_cache_is_bounded_and_expires():
    cache = LocalCache(max_entries=2)
    cache.set("a", "1", ttl=60)
    cache.set("b", "2", ttl=60)
    cache.get("a")
    cache.set("c", "3", ttl=60)  # evicts the least recently used ("b")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("1", None, "3")
    cache.set("d", "4", ttl=-1)
    assert cache.get("d") is None


def test_with_redis_the_catalogue_version_is_read_from_redis(redis_cache, app, client, db, query_counter):
    import redis

    from marketplace.cache import CacheVersion
    import sqlalchemy as sa

    app.config["HTTP_CACHE_ENABLED"] = True
    try:
        tea = f.product("Trà hoa vàng")
        etag = client.get("/api/v1/products").headers["ETag"]
        stored = redis.Redis.from_url(redis_cache).get("ocop:version:catalog").decode()
        version = _db_version(db)
        assert stored.startswith(f"{version}|")
        from flask import g

        g.pop("ocop_cache_versions", None)  # nothing remembered from the previous request
        # The first validation reads the stock of the products shown once and keeps a copy.
        assert app.test_client().get("/api/v1/products", headers={"If-None-Match": etag}).status_code == 304
        assert redis.Redis.from_url(redis_cache).get(f"ocop:stock:{tea.id}").decode().endswith(f"|{tea.stock}")
        with app.test_request_context():
            with query_counter() as q:
                answer = app.test_client().get("/api/v1/products", headers={"If-None-Match": etag})
        assert answer.status_code == 304
        assert q.count == 0  # neither the version, the stock nor the page came from the database
        tea.price_vnd = 99_000  # "server A" commits a change: Redis gets the new version at once
        db.session.commit()
        assert redis.Redis.from_url(redis_cache).get("ocop:version:catalog").decode().startswith(f"{version + 1}|")
        assert client.get("/api/v1/products", headers={"If-None-Match": etag}).status_code == 200
        # An older version never overwrites a newer one.
        from marketplace.cache import get_cache
        with app.app_context():
            get_cache().publish_version("catalog", version, _db.session.scalar(sa.select(CacheVersion.changed_at)))
        assert redis.Redis.from_url(redis_cache).get("ocop:version:catalog").decode().startswith(f"{version + 1}|")
    finally:
        app.config["HTTP_CACHE_ENABLED"] = False


def _db_version(db) -> int:
    import sqlalchemy as sa

    from marketplace.cache import CacheVersion

    return db.session.scalar(sa.select(CacheVersion.version).where(CacheVersion.name == "catalog"))
