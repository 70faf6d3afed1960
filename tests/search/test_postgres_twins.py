"""PostgreSQL: each search document's narrow twin (words, filter, facet and sort values) follows it.

Counts, filters and sorted pages read `search_facets`; ranking reads `search_documents`.
Both are written in the committing transaction, so they never disagree. PostgreSQL only.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.catalog.listing import BrowseParams, browse
from tests import factories as f

from .conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only (set DATABASE_URL)")

COPIED = ("stars", "cert_until", "producer_id", "price", "stock", "sold", "created", "category", "category_group",
          "locality", "region")


@pytest.fixture
def postgres(app, db):
    previous = app.config["SEARCH_BACKEND"]
    app.config["SEARCH_BACKEND"] = "postgres"
    yield
    app.config["SEARCH_BACKEND"] = previous


def mismatched(db) -> list:
    """Documents whose twin is missing or differs (values, words, facet key), and orphan twins."""
    columns = ", ".join(COPIED)
    return db.session.execute(sa.text(f"""
        SELECT d.product_id, t.product_id FROM search_documents d FULL JOIN search_facets t USING (product_id)
        WHERE t.product_id IS NULL OR d.product_id IS NULL
           OR (d.{columns.replace(', ', ', d.')}) IS DISTINCT FROM (t.{columns.replace(', ', ', t.')})
           OR strip(d.tsv) IS DISTINCT FROM t.terms
           OR hashtextextended(d.category || ' ' || d.category_group || ' ' || d.locality, 0) <> t.facet
    """)).all()


def test_the_twin_follows_every_write_of_its_document(postgres, db):
    tea = f.product("Trà hoa vàng Ba Chẽ", stock=5, price_vnd=120_000)
    honey = f.product("Mật ong rừng", stars=5)
    assert db.session.scalar(sa.text("SELECT count(*) FROM search_facets")) == 2 and mismatched(db) == []
    tea.stock, tea.price_vnd, tea.name = 0, 90_000, "Trà xanh Đầm Hà"
    db.session.commit()
    assert mismatched(db) == []
    assert browse(BrowseParams(q="tra xanh", in_stock=False)).total == 1
    honey.status = "archived"
    db.session.commit()
    assert mismatched(db) == [] and db.session.scalar(sa.text("SELECT count(*) FROM search_facets")) == 1


def test_facets_name_each_key_by_its_category_group_and_place(postgres, db):
    drinks = f.category("Đồ uống", "Drinks")
    f.product("Trà hoa vàng", cat=f.category("Trà", "Tea", parent=drinks), stars=5)
    f.product("Trà xanh", prod=f.producer(loc=f.locality("Quan Lạn", "Vân Đồn")), stars=None)
    result = browse(BrowseParams(q="tra"))
    assert result.total == 2
    assert result.facets == {"stars": {"3": 0, "4": 0, "5": 1}, "category": {"tea": 1, "drinks": 1, "food": 1},
                             "locality": {"ba-che": 1, "quan-lan": 1}}


def test_health_is_stale_when_a_twin_is_missing(postgres, db):
    from marketplace.search import get_backend

    f.product("Trà hoa vàng")
    assert get_backend().health()["ok"] is True
    db.session.execute(sa.text("DELETE FROM search_facets"))
    db.session.commit()
    assert get_backend().health()["status"] == "stale"
