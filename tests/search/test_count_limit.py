"""How many products a search found: exact up to SEARCH_EXACT_COUNT_LIMIT on PostgreSQL,
estimated past it and flagged (`total_exact` false); Whoosh always counts exactly.
The results page and GET /api/v1/products say which."""
from __future__ import annotations

import pytest

from marketplace.catalog.listing import BrowseParams, browse
from tests import factories as f


@pytest.fixture
def teas(backend):
    for i in range(6):
        f.product(f"Trà xanh số {i}", stars=4 if i % 2 else 5)
    f.product("Mật ong rừng", stars=5)
    return backend


@pytest.fixture
def count_limit(app):
    previous = app.config["SEARCH_EXACT_COUNT_LIMIT"]

    def set_limit(n: int) -> None:
        app.config["SEARCH_EXACT_COUNT_LIMIT"] = n

    yield set_limit
    app.config["SEARCH_EXACT_COUNT_LIMIT"] = previous


def test_within_the_limit_every_backend_counts_exactly(teas, count_limit):
    count_limit(6)
    result = browse(BrowseParams(q="tra xanh", per_page=2))
    assert result.total == 6 and result.total_exact
    assert result.facets["stars"] == {"3": 0, "4": 3, "5": 3}


def test_past_the_limit_postgres_estimates_and_says_so_while_whoosh_stays_exact(teas, count_limit):
    count_limit(3)
    result = browse(BrowseParams(q="tra xanh", per_page=2))
    assert len(result.items) == 2
    if teas.name == "whoosh":
        assert result.total == 6 and result.total_exact
        return
    assert not result.total_exact
    assert result.total > 3  # more than the limit, never fewer
    assert all(isinstance(n, int) for counts in result.facets.values() for n in counts.values())
    assert sum(result.facets["stars"].values()) == result.total


def test_an_estimated_total_never_hides_the_last_pages(teas, count_limit):
    count_limit(3)
    pages = [browse(BrowseParams(q="tra xanh", per_page=2, page=n)) for n in (1, 2, 3)]
    found = [p.name for page in pages for p in page.items]
    assert len(found) == len(set(found)) == 6
    assert browse(BrowseParams(q="tra xanh", per_page=2, page=4)).items == []


def test_the_results_page_says_more_than_the_limit_when_the_count_is_an_estimate(teas, count_limit, client):
    count_limit(1000)
    html = client.get("/products", query_string={"q": "tra xanh", "lang": "en"}).get_data(as_text=True)
    assert "6 products found" in html and "More than" not in html and "(≈" not in html
    count_limit(3)
    english = client.get("/products", query_string={"q": "tra xanh", "lang": "en"}).get_data(as_text=True)
    vietnamese = client.get("/products", query_string={"q": "tra xanh", "lang": "vi"}).get_data(as_text=True)
    if teas.name == "whoosh":
        assert "6 products found" in english and "Tìm thấy 6 sản phẩm" in vietnamese
        assert "(≈" not in english
    else:
        assert "More than 3 products found" in english and "Tìm thấy hơn 3 sản phẩm" in vietnamese
        assert "(≈" in english  # the facet counts are marked as estimates too


def test_the_api_flags_an_estimated_total(teas, count_limit, client):
    count_limit(3)
    body = client.get("/api/v1/products", query_string={"q": "tra xanh"}).get_json()
    assert body["total_exact"] is (teas.name == "whoosh")
    assert isinstance(body["total"], int) and body["total"] > 3
    assert all(isinstance(n, int) for counts in body["facets"].values() for n in counts.values())
    browsing = client.get("/api/v1/products").get_json()  # no free text: counted in SQL, exactly
    assert browsing["total"] == 7 and browsing["total_exact"] is True
