"""A sale invalidates only what it sold: no shared row written by a checkout, and every
server's cached pages and API answers show the stock left (stockview.py, httpcache.py)."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from marketplace import create_app, stockview
from marketplace.cache import CacheVersion, RedisCache
from marketplace.extensions import db as _db
from marketplace.orders import services as orders
from marketplace.timeutil import utcnow
from tests import factories as f
from tests.conftest import IsolatedClient
from tests.factories import place_order

SEARCH = "/products?q=tr%C3%A0+hoa+v%C3%A0ng"  # "trà hoa vàng"


@pytest.fixture
def caching(app):
    app.config.update(HTTP_CACHE_ENABLED=True, CACHE_ENABLED=True)
    app.extensions.pop("ocop_cache", None)
    yield app
    app.config.update(HTTP_CACHE_ENABLED=False, CACHE_ENABLED=False)
    app.config.pop("CACHE_REDIS_URL", None)
    app.extensions.pop("ocop_cache", None)


@pytest.fixture
def two_servers(caching, redis_db):
    """The suite's app ("server A") and a second app on the same database and Redis."""
    caching.config["CACHE_REDIS_URL"] = redis_db
    caching.extensions.pop("ocop_cache", None)
    other = create_app(dict(caching.config))
    yield [IsolatedClient(app, app.response_class) for app in (caching, other)]
    with other.app_context():
        _db.engine.dispose()


def catalogue_version() -> int:
    return _db.session.scalar(sa.select(CacheVersion.version).where(CacheVersion.name == "catalog")) or 0


def stock_on_page(client, slug: str) -> str:
    page = client.get(f"/products/{slug}")
    assert page.status_code == 200
    return re.search(r'id="stock-state">([^<]*)<', page.get_data(as_text=True)).group(1)


def api_stock(client, product_id: int) -> int:
    return client.get(f"/api/v1/products/{product_id}").get_json()["stock"]


def listed(client, url: str) -> dict[int, dict]:
    return {item["id"]: item for item in client.get(url).get_json()["items"]}


def prime(client, tea, other) -> dict[str, str]:
    """Ask each page and answer once (now cached), returning their ETags."""
    urls = [f"/products/{tea.slug}", f"/products/{other.slug}", "/products", SEARCH, "/api/v1/products",
            f"/api/v1/products/{tea.id}", f"/api/v1/products/{other.id}", "/api/v1/products?q=hoa"]
    etags = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        etags[url] = response.headers["ETag"]
    return etags


@contextmanager
def statements():
    """The SQL statements run on the database while inside."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)

    sa.event.listen(_db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", note)


def test_a_sale_shows_on_every_server_and_leaves_other_products_cached(two_servers, db):
    server_a, server_b = two_servers
    tea = f.product("Trà hoa vàng Ba Chẽ", stock=10)
    other = f.product("Chả mực Hạ Long", stock=5)
    db.session.commit()
    before = {name: prime(client, tea, other) for name, client in (("a", server_a), ("b", server_b))}
    version = catalogue_version()

    place_order([(tea, 3)])

    assert catalogue_version() == version  # nothing shared was bumped
    for client in (server_a, server_b):
        assert "7" in stock_on_page(client, tea.slug)
        assert api_stock(client, tea.id) == 7
        assert listed(client, "/api/v1/products")[tea.id]["in_stock"] is True
        assert tea.id in listed(client, "/api/v1/products?q=hoa")
        assert client.get(SEARCH).status_code == 200
        assert client.get("/products").status_code == 200
    for name, client in (("a", server_a), ("b", server_b)):
        # Answers showing the tea changed; the other product's page and API answer did not.
        assert client.get(f"/products/{tea.slug}").headers["ETag"] != before[name][f"/products/{tea.slug}"]
        assert client.get(f"/api/v1/products/{tea.id}",
                          headers={"If-None-Match": before[name][f"/api/v1/products/{tea.id}"]}).status_code == 200
        for url in (f"/products/{other.slug}", f"/api/v1/products/{other.id}"):
            assert client.get(url, headers={"If-None-Match": before[name][url]}).status_code == 304, url


def test_a_sale_that_empties_a_product_takes_it_off_in_stock_lists_everywhere(two_servers, db):
    server_a, server_b = two_servers
    tea = f.product("Trà hoa vàng Ba Chẽ", stock=2)
    other = f.product("Trà hoa vàng Đầm Hà", stock=5)
    db.session.commit()
    for client in two_servers:
        prime(client, tea, other)
        assert tea.id in listed(client, "/api/v1/products?in_stock=true")

    place_order([(tea, 2)])

    for client in (server_a, server_b):
        assert api_stock(client, tea.id) == 0
        assert tea.id not in listed(client, "/api/v1/products?in_stock=true")
        assert listed(client, "/api/v1/products?q=hoa")[tea.id]["in_stock"] is False
        assert client.get("/api/v1/products?in_stock=true").get_json()["total"] == 1
        assert 'id="notify-me"' in client.get(f"/products/{tea.slug}").get_data(as_text=True)


def test_stock_put_back_by_a_cancellation_shows_on_every_server(two_servers, db):
    tea = f.product("Trà hoa vàng Ba Chẽ", stock=10)
    other = f.product("Chả mực Hạ Long", stock=5)
    db.session.commit()
    order = place_order([(tea, 4)])
    for client in two_servers:
        prime(client, tea, other)
        assert api_stock(client, tea.id) == 6

    orders.cancel_order(order, "shopper", "đặt nhầm")

    for client in two_servers:
        assert "10" in stock_on_page(client, tea.slug)
        assert api_stock(client, tea.id) == 10


@pytest.mark.parametrize("with_redis", [False, True])
def test_a_checkout_writes_no_shared_row(caching, db, request, with_redis):
    if with_redis:
        caching.config["CACHE_REDIS_URL"] = request.getfixturevalue("redis_db")
        caching.extensions.pop("ocop_cache", None)
    tea = f.product("Trà hoa vàng Ba Chẽ", stock=10)
    cake = f.product("Bánh gai Tiên Yên", stock=10)
    db.session.commit()

    with statements() as seen:
        place_order([(tea, 1), (cake, 2)])

    writes = [s for s in seen if re.match(r"\s*(INSERT|UPDATE|DELETE)", s, re.IGNORECASE)]
    assert writes, "the checkout wrote its order"
    assert not [s for s in seen if "cache_versions" in s]
    written = {re.match(r"\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", s, re.IGNORECASE).group(1)
               for s in writes}
    # The order's own rows and the two products sold (one conditional UPDATE each, by id).
    assert "products" in written and "cache_versions" not in written
    product_updates = [s for s in writes if re.match(r"\s*UPDATE\s+\"?products\b", s, re.IGNORECASE)]
    assert len(product_updates) == 2 and all("products.id =" in s for s in product_updates)


def test_without_redis_a_cached_page_follows_the_stock(caching, client, db, query_counter):
    tea = f.product("Trà hoa vàng Ba Chẽ", stock=10)
    db.session.commit()
    first = client.get(f"/api/v1/products/{tea.id}")
    with query_counter() as q:
        again = client.get(f"/api/v1/products/{tea.id}")
    # The catalogue version and the stock shown, confirmed by one statement.
    assert again.get_json() == first.get_json() and q.count == 1, q.statements
    place_order([(tea, 1)])
    assert api_stock(client, tea.id) == 9
    assert "9" in stock_on_page(client, tea.slug)


@contextmanager
def redis_round_trips():
    """Commands sent to Redis while inside, one list per round trip (a pipeline is one)."""
    import redis.connection

    sent: list[bytes] = []
    original = redis.connection.AbstractConnection.send_packed_command

    def send(self, command, *args, **kwargs):
        sent.append(b"".join(command) if isinstance(command, list) else command)
        return original(self, command, *args, **kwargs)

    redis.connection.AbstractConnection.send_packed_command = send
    try:
        yield sent
    finally:
        redis.connection.AbstractConnection.send_packed_command = original


def test_with_redis_a_cached_answer_costs_two_round_trips_and_no_statement(caching, redis_db, db,
                                                                            query_counter):
    caching.config["CACHE_REDIS_URL"] = redis_db
    caching.extensions.pop("ocop_cache", None)
    client = IsolatedClient(caching, caching.response_class)
    tea = f.product("Trà hoa vàng Ba Chẽ", stock=10)
    db.session.commit()
    first = client.get(f"/api/v1/products/{tea.id}")
    client.get(f"/api/v1/products/{tea.id}")  # the stock copy is in Redis now
    with query_counter() as q, redis_round_trips() as sent:
        again = client.get(f"/api/v1/products/{tea.id}")
    assert again.get_json() == first.get_json() and q.count == 0, q.statements
    # The catalogue version with the kept answer, then the stock of the product shown.
    assert len(sent) == 2, sent
    assert b"ocop:version:catalog" in sent[0] and b"ocop:cache:body" in sent[0]
    assert b"MGET" in sent[1]


def test_without_redis_a_cached_answer_follows_a_change_made_by_another_server(caching, client, db):
    tea = f.product("Trà hoa vàng Ba Chẽ", price_vnd=150_000, stock=10)
    db.session.commit()
    assert client.get(f"/api/v1/products/{tea.id}").get_json()["price_vnd"] == 150_000
    # Another server changes the price and bumps the version; this process last saw the old one.
    with _db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE products SET price_vnd = 180000 WHERE id = :id"), {"id": tea.id})
        conn.execute(sa.text("UPDATE cache_versions SET version = version + 1, changed_at = :now"
                             " WHERE name = 'catalog'"), {"now": utcnow()})
    assert client.get(f"/api/v1/products/{tea.id}").get_json()["price_vnd"] == 180_000


def test_a_stock_copy_read_before_a_sale_is_never_stored_after_it(caching, redis_db, db):
    caching.config["CACHE_REDIS_URL"] = redis_db
    caching.extensions.pop("ocop_cache", None)
    tea = f.product("Trà hoa vàng Ba Chẽ", stock=10)
    db.session.commit()
    redis_cache = stockview.get_cache()
    assert isinstance(redis_cache, RedisCache)
    assert stockview.current([tea.id]) == {tea.id: 10}  # copies the stock into Redis
    client = redis_cache.client
    seen = client.get(f"{stockview.VERSION_PREFIX}{tea.id}").decode()
    assert client.get(f"{stockview.STOCK_PREFIX}{tea.id}").decode() == f"{seen}|10"

    place_order([(tea, 4)])  # commits, then moves the product's version on

    assert client.get(f"{stockview.VERSION_PREFIX}{tea.id}").decode() != seen
    # A reader that read 10 from the database before the sale tries to store it late: refused.
    client.eval(stockview._FILL, 2, f"{stockview.VERSION_PREFIX}{tea.id}", f"{stockview.STOCK_PREFIX}{tea.id}",
                stockview.STOCK_TTL_S, stockview.VERSION_TTL_S, seen, 10)
    assert stockview.current([tea.id]) == {tea.id: 6}


def test_a_stock_edit_through_the_orm_moves_the_products_copy_too(caching, redis_db, db):
    caching.config["CACHE_REDIS_URL"] = redis_db
    caching.extensions.pop("ocop_cache", None)
    tea = f.product("Trà hoa vàng Ba Chẽ", stock=10)
    cake = f.product("Bánh gai Tiên Yên", stock=10)
    db.session.commit()
    assert stockview.current([tea.id, cake.id]) == {tea.id: 10, cake.id: 10}
    client = stockview.get_cache().client
    versions = {p.id: client.get(f"{stockview.VERSION_PREFIX}{p.id}") for p in (tea, cake)}

    tea.stock = 25  # e.g. the seller's stock form
    cake.price_vnd = 90_000  # not a stock change
    db.session.commit()

    assert client.get(f"{stockview.VERSION_PREFIX}{tea.id}") != versions[tea.id]
    assert client.get(f"{stockview.VERSION_PREFIX}{cake.id}") == versions[cake.id]
    assert stockview.current([tea.id, cake.id]) == {tea.id: 25, cake.id: 10}
