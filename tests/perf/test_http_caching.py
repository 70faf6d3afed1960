"""Conditional GET on the catalogue API: ETag / Last-Modified, 304, and invalidation on change.

An answer showing products' stock has an ETag only (stock changes without moving the
catalogue version, so no date can vouch for it); one showing no stock also has Last-Modified."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.cache import CacheVersion
from marketplace.catalog.models import Certificate, Producer, Product
from marketplace.extensions import db as _db
from tests import factories as f


@pytest.fixture(autouse=True)
def http_cache_on(app):
    app.config["HTTP_CACHE_ENABLED"] = True
    yield
    app.config["HTTP_CACHE_ENABLED"] = False


def test_a_repeated_request_is_answered_304_until_the_catalogue_changes(client, db):
    tea = f.product("Trà hoa vàng Ba Chẽ")
    first = client.get("/api/v1/products")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert "Last-Modified" not in first.headers  # it shows stock
    assert first.headers["Cache-Control"] == "no-cache"
    assert "Cookie" in first.headers["Vary"]

    again = client.get("/api/v1/products", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag

    tea.name = "Trà hoa vàng Ba Chẽ loại đặc biệt"
    db.session.commit()
    changed = client.get("/api/v1/products", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.get_json()["items"][0]["name"] == "Trà hoa vàng Ba Chẽ loại đặc biệt"


def test_if_modified_since_is_honoured(client, db):
    f.product()
    first = client.get("/api/v1/categories")
    assert first.status_code == 200
    since = first.headers["Last-Modified"]
    assert client.get("/api/v1/categories", headers={"If-Modified-Since": since}).status_code == 304
    f.product()  # a new product changes the counts
    assert client.get("/api/v1/categories", headers={"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}
                      ).status_code == 200


def test_each_url_has_its_own_etag(client, db):
    tea = f.product("Trà hoa vàng")
    by_id = client.get(f"/api/v1/products/{tea.id}")
    listing = client.get("/api/v1/products?per_page=5")
    other_page = client.get("/api/v1/products?per_page=5&page=2")
    assert len({by_id.headers["ETag"], listing.headers["ETag"], other_page.headers["ETag"]}) == 3
    # Someone else's ETag never earns a 304.
    assert client.get(f"/api/v1/products/{tea.id}",
                      headers={"If-None-Match": listing.headers["ETag"]}).status_code == 200


def test_errors_are_never_given_validators(client, db):
    missing = client.get("/api/v1/products/does-not-exist")
    assert missing.status_code == 404
    assert "ETag" not in missing.headers


def test_certificate_producer_and_bulk_changes_bump_the_version(client, db):
    tea = f.product("Trà hoa vàng")

    def version() -> int:
        return _db.session.scalar(sa.select(CacheVersion.version).where(CacheVersion.name == "catalog")) or 0

    start = version()
    certificate = _db.session.scalar(sa.select(Certificate).where(Certificate.product_id == tea.id))
    certificate.verified = False
    db.session.commit()
    assert version() == start + 1

    producer = _db.session.get(Producer, tea.producer_id)
    producer.suspended_at = producer.created_at
    db.session.commit()
    assert version() == start + 2

    # An ORM-enabled bulk UPDATE (how stock is reserved) counts as a change too.
    _db.session.execute(sa.update(Product).where(Product.id == tea.id).values(stock=Product.stock - 1))
    db.session.commit()
    assert version() == start + 3

    # A transaction that rolls back changes nothing, and one that touches no catalogue table neither.
    tea = _db.session.get(Product, tea.id)
    tea.name = "Không lưu"
    _db.session.flush()
    _db.session.rollback()
    f.user()
    assert version() == start + 3


def test_http_validators_can_be_switched_off(app, client, db):
    f.product()
    app.config["HTTP_CACHE_ENABLED"] = False
    try:
        response = client.get("/api/v1/products")
        assert "ETag" not in response.headers
    finally:
        app.config["HTTP_CACHE_ENABLED"] = True


def test_public_answers_are_kept_whole_in_the_shared_cache(app, client, db, query_counter):
    tea = f.product("Trà hoa vàng")
    app.config["CACHE_ENABLED"] = True
    app.extensions.pop("ocop_cache", None)
    try:
        first = client.get("/api/v1/products?per_page=5")
        with query_counter() as q:
            second = client.get("/api/v1/products?per_page=5")
        assert second.get_json() == first.get_json()
        assert second.headers["ETag"] == first.headers["ETag"]
        # One statement for the catalogue version and the stock of the products shown:
        # the view (3+ queries) did not run.
        assert q.count == 1, q.statements
        tea.price_vnd = 123_000
        db.session.commit()
        third = client.get("/api/v1/products?per_page=5")
        assert third.get_json()["items"][0]["price_vnd"] == 123_000
        assert third.headers["ETag"] != first.headers["ETag"]
    finally:
        app.config["CACHE_ENABLED"] = False
        app.extensions.pop("ocop_cache", None)


def test_an_answer_kept_by_an_older_release_is_not_served(app, client, db):
    """Kept answers changed form (one JSON line, then the body); one in the old form, still
    under the current catalogue version after a deploy, is a miss, never a broken answer."""
    from marketplace import cache

    f.product("Trà hoa vàng")
    db.session.commit()
    app.config["CACHE_ENABLED"] = True
    app.extensions.pop("ocop_cache", None)
    try:
        first = client.get("/api/v1/products?per_page=5")
        kept = [key for key in cache.get_cache()._data if key.startswith("body:")]
        assert len(kept) == 1
        cache.get_cache().set(kept[0], '["application/json", "{\\"items\\": []}", []]', 300)
        again = client.get("/api/v1/products?per_page=5")
        assert again.status_code == 200 and again.get_json() == first.get_json()
    finally:
        app.config["CACHE_ENABLED"] = False
        app.extensions.pop("ocop_cache", None)


def test_the_product_page_is_cacheable_for_anonymous_visitors(client, db):
    tea = f.product("Trà hoa vàng Ba Chẽ")
    first = client.get(f"/products/{tea.slug}")
    assert first.status_code == 200
    # Nothing personal on the page: no session cookie, no CSRF token; the add-to-cart form is a GET.
    assert "Set-Cookie" not in first.headers
    assert "csrf_token" not in first.get_data(as_text=True)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache" and "Cookie" in first.headers["Vary"]
    assert "Last-Modified" not in first.headers

    again = client.get(f"/products/{tea.slug}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    # A date is no validator for a page showing stock: the page is sent again.
    assert client.get(f"/products/{tea.slug}", headers={"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}
                      ).status_code == 200

    tea.price_vnd = 150_000
    db.session.commit()
    changed = client.get(f"/products/{tea.slug}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "150.000\u00a0₫" in changed.get_data(as_text=True)


def test_a_savepoint_that_rolls_back_keeps_the_transactions_earlier_change(client, db):
    tea = f.product("Trà hoa vàng")

    def version() -> int:
        return _db.session.scalar(sa.select(CacheVersion.version).where(CacheVersion.name == "catalog")) or 0

    start = version()
    tea = _db.session.get(Product, tea.id)
    tea.name = "Trà hoa vàng Ba Chẽ"
    _db.session.flush()
    savepoint = _db.session.begin_nested()  # e.g. a duplicate caught by its unique index
    savepoint.rollback()
    _db.session.commit()
    assert version() == start + 1
