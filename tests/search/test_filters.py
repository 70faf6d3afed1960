"""Filters, facets, sorts and pagination of search results, as API.md describes them."""
from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.catalog.listing import BrowseParams, browse
from marketplace.timeutil import local_today
from tests import factories as f


@pytest.fixture
def catalogue(backend):
    food = f.category("Thực phẩm", "Food")
    honey = f.category("Mật ong", "Honey", parent=food)
    drinks = f.category("Đồ uống", "Beverages")
    tea = f.category("Trà", "Tea", parent=drinks)
    ba_che = f.locality("Ba Chẽ", region="Ba Chẽ")
    bai_chay = f.locality("Bãi Cháy", region="Hạ Long", kind="ward")
    hill, bay = f.producer("HTX Ba Chẽ", loc=ba_che), f.producer("Công ty Biển Hạ Long", loc=bai_chay)
    p = {
        "honey": f.product("Mật ong rừng đặc sản", cat=honey, prod=hill, stars=5, price_vnd=300_000, stock=10,
                           sold_count=5),
        "tea": f.product("Trà hoa vàng đặc sản", cat=tea, prod=hill, stars=4, price_vnd=200_000, stock=0,
                         sold_count=50),
        "squid": f.product("Chả mực đặc sản", cat=food, prod=bay, stars=3, price_vnd=150_000, stock=5,
                           sold_count=20),
        "green": f.product("Trà xanh đặc sản", cat=tea, prod=bay, stars=4, price_vnd=100_000, stock=3, sold_count=1,
                           expires_on=local_today() - timedelta(days=1)),
        "sauce": f.product("Nước mắm đặc sản", cat=food, prod=bay, stars=5, verified=False, price_vnd=90_000,
                           stock=2, sold_count=0),
    }
    f.product("Bánh gai", cat=food, prod=bay)  # does not match "dac san"
    return p


def ids(result):
    return [p.id for p in result.items]


def search(**params):
    return browse(BrowseParams(q="dac san", **params))


def test_facets_count_the_whole_result_set_not_just_the_page(catalogue):
    result = search(per_page=1)
    assert result.total == 5 and len(result.items) == 1
    assert result.facets == {
        "stars": {"3": 1, "4": 1, "5": 1},  # expired and unverified certificates show no stars
        "category": {"honey": 1, "food": 3, "tea": 2, "beverages": 2},
        "locality": {"ba-che": 2, "bai-chay": 3},
    }


@pytest.mark.parametrize("params, expected", [
    ({"stars": [4, 5]}, {"honey", "tea"}),
    ({"stars": [3]}, {"squid"}),
    ({"category": "beverages"}, {"tea", "green"}),
    ({"category": "tea"}, {"tea", "green"}),
    ({"category": "food"}, {"honey", "squid", "sauce"}),
    ({"locality": "ha-long"}, {"squid", "green", "sauce"}),  # the former city covers its wards
    ({"locality": "ba-che"}, {"honey", "tea"}),
    ({"price_min": 100_000, "price_max": 200_000}, {"tea", "squid", "green"}),
    ({"price_min": 250_000}, {"honey"}),
    ({"in_stock": True}, {"honey", "squid", "green", "sauce"}),
    ({"in_stock": False}, {"tea"}),
    ({"category": "food", "in_stock": True, "price_max": 150_000}, {"squid", "sauce"}),
])
def test_filters_restrict_results_and_facets_alike(catalogue, params, expected):
    result = search(**params)
    assert set(ids(result)) == {catalogue[k].id for k in expected}
    assert result.total == len(expected)
    # Facets of a filtered search: the same counts the shop's SQL gives for those products.
    sql = browse(BrowseParams(**params), ranked_ids=ids(result))
    assert result.facets == sql.facets


def test_producer_filter(catalogue):
    producer_id = catalogue["squid"].producer_id
    assert set(ids(search(producer=producer_id))) == {catalogue[k].id for k in ("squid", "green", "sauce")}


@pytest.mark.parametrize("sort, order", [
    ("price_asc", ["sauce", "green", "squid", "tea", "honey"]),
    ("price_desc", ["honey", "tea", "squid", "green", "sauce"]),
    ("stars", ["honey", "tea", "squid", "green", "sauce"]),  # then best-selling among the starless
    ("bestselling", ["tea", "squid", "honey", "green", "sauce"]),
    ("newest", ["sauce", "green", "squid", "tea", "honey"]),
])
def test_sorts(catalogue, sort, order):
    assert ids(search(sort=sort)) == [catalogue[k].id for k in order]


def test_pages_follow_the_sort(catalogue):
    result = search(sort="price_asc", per_page=2, page=2)
    assert ids(result) == [catalogue["squid"].id, catalogue["tea"].id]
    assert result.total == 5 and result.pages == 3
    assert search(sort="price_asc", per_page=2, page=4).items == []


def test_relevance_is_the_default_sort_with_a_query(catalogue):
    params = BrowseParams(q="tra hoa vang")
    assert params.effective_sort == "relevance"
    result = browse(params)
    assert ids(result) == [catalogue["tea"].id]  # every word must match: "Trà xanh" lacks "hoa vàng"


def test_sql_queries_do_not_grow_with_the_page_size(catalogue, query_counter):
    counts = []
    for per_page in (1, 5):
        with query_counter() as q:
            result = search(per_page=per_page)
            assert len(result.items) == per_page
        counts.append(q.count)
    assert counts[0] == counts[1]


def test_the_postgres_total_comes_from_the_facet_scan(catalogue, backend, query_counter):
    if backend.__class__.__name__ != "PostgresBackend":
        pytest.skip("the PostgreSQL backend counts in SQL; Whoosh counts in its index")
    with query_counter() as q:
        result = search(per_page=2)
    assert result.total == 5 and len(result.items) == 2
    assert result.facets["stars"] == {"3": 1, "4": 1, "5": 1}  # unverified and expired: no stars
    counting = [s for s in q.statements if "count(" in s.lower()]
    assert len(counting) == 1 and "GROUP BY" in counting[0]  # one grouped scan, no separate COUNT
