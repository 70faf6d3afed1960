"""Relevance pages: the products with every word in the name come first, and a page is
ranked from them alone when they fill it (on every backend; Whoosh counts what it scores)."""
from __future__ import annotations

import pytest

from marketplace.catalog.listing import BrowseParams, browse
from marketplace.search import whoosh_columns
from tests import factories as f


def catalogue(in_name: int, in_description: int) -> tuple[list[int], list[int]]:
    named = [f.product(f"Mật ong rừng {n}", description="Hộp 500 g").id for n in range(in_name)]
    described = [f.product(f"Hộp quà {n}", description="Gồm trà và mật ong").id for n in range(in_description)]
    return named, described


def ids(**params) -> list[int]:
    return [p.id for p in browse(BrowseParams(q="mat ong", **params)).items]


def test_pages_walk_through_the_name_tier_then_the_rest_without_gaps(backend):
    named, described = catalogue(3, 4)
    whole = ids(per_page=20)
    assert set(whole[:3]) == set(named) and set(whole[3:]) == set(described)
    # Page 2 straddles the tiers; page 3 starts past the name tier; page 4 is the last product.
    pages = [ids(per_page=2, page=page) for page in (1, 2, 3, 4, 5)]
    assert pages[-1] == []
    assert [i for page in pages for i in page] == whole


@pytest.fixture
def scored(monkeypatch):
    """Every set of documents the Whoosh ranking scores (the real scoring still runs)."""
    seen: list[int] = []
    real = whoosh_columns._best

    def counting(query, docs, *args, **kwargs):
        seen.append(docs.bit_count())
        return real(query, docs, *args, **kwargs)

    monkeypatch.setattr(whoosh_columns, "_best", counting)
    return seen


def test_whoosh_first_page_with_facets_scores_only_the_name_tier(whoosh, scored):
    named, described = catalogue(22, 30)
    result = browse(BrowseParams(q="mat ong", per_page=20))
    # The total and the facets cover all 52 matches...
    assert result.total == 52
    assert sum(result.facets["stars"].values()) == 52
    assert {p.id for p in result.items} <= set(named)
    # ...but only the 22 products with every word in the name were scored, not the 30 others.
    assert scored == [22]


def test_whoosh_scores_the_rest_only_when_the_page_runs_past_the_name_tier(whoosh, scored):
    named, described = catalogue(5, 30)
    first = ids(per_page=10)
    assert set(first[:5]) == set(named) and set(first[5:]) <= set(described)
    assert scored == [5, 30]
    scored.clear()
    assert len(browse(BrowseParams(q="mat ong", sort="price_asc", per_page=10)).items) == 10
    assert scored == []  # a sorted page is not ranked at all
