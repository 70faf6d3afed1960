"""Relevance within the name tier of a one-word query: the best scores first, then shorter names.

Query `tra`; every product below has the word in its name. Scores (base.py): the word in the
description 10, among producer/place/category 6.
  "Trà xanh n", described with the word, made by "HTX Trà Đồng Lâm": 16, the most a match can score
  "Trà túi lọc số n", described with the word: 10
  "Trà n": 0, the shortest name
On PostgreSQL, when the matches are more than the exact-count limit, a page is first looked for
among the products with the shortest names (the head): when enough of those are matches scoring
16 they are the page and the rest of the tier is never read; otherwise the whole tier is ranked,
as it is at once for fewer matches or for a page that needs more products than a share of the
head. The head and the limit are made small here so that each happens on a handful of products.
"""
from __future__ import annotations

import re

import pytest

from marketplace.catalog.listing import BrowseParams
from marketplace.catalog.models import Product
from marketplace.extensions import db as _db
from marketplace.search import postgres_ranking
from tests import factories as f

from .conftest import ON_POSTGRES, using
from .test_postgres_plans import documents_scanned, recorded


HEAD = re.compile(r"\bbest AS\s*\(")  # the statement reading the head: its top scores are the sub-select `best`


@pytest.fixture
def catalogue(db) -> list[int]:
    """Product ids in the order the rules rank them (equal scores: shorter name, then id)."""
    tea_house = f.producer("HTX Trà Đồng Lâm")
    shortest = f.product("Trà 1").id
    best = [f.product(f"Trà xanh {n}", description="Trà sấy khô", prod=tea_house).id for n in range(4)]
    described = [f.product(f"Trà túi lọc số {n}", description="Hộp trà").id for n in range(2)]
    return best + described + [shortest]


@pytest.fixture
def small_head(monkeypatch, app):
    """A head of the 3 shortest names, for pages that need at most 3 products, read past 3 matches."""
    monkeypatch.setattr(postgres_ranking, "HEAD_ROWS", 3)
    monkeypatch.setattr(postgres_ranking, "HEAD_SHARE", 1)
    monkeypatch.setitem(app.config, "SEARCH_EXACT_COUNT_LIMIT", 3)


def test_a_one_word_query_ranks_the_best_scores_first_then_shorter_names(backend, catalogue, small_head):
    assert backend.search(BrowseParams(q="tra", per_page=20)).ids == catalogue
    pages = [backend.search(BrowseParams(q="trà", per_page=2, page=page)).ids for page in (1, 2, 3, 4, 5)]
    assert [i for page in pages for i in page] == catalogue
    assert backend.search(BrowseParams(q="tra", per_page=3)).ids == catalogue[:3]


@pytest.fixture
def postgres(app, db):
    with using(app, "postgres") as backend:
        yield backend


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only (set DATABASE_URL)")
def test_a_page_of_top_scores_among_the_shortest_names_never_ranks_the_whole_tier(postgres, catalogue,
                                                                                   small_head):
    def scans_run(**params) -> tuple[list[int], dict[str, int]]:
        """The page, and the rows each scan of the documents its statement ran read (ANALYZE), by index."""
        page, scans = documents_scanned(lambda: postgres.search(BrowseParams(q="tra", **params)), HEAD)
        return page.ids, {node.get("Index Name", node["Node Type"]):
                          node["Actual Rows"] + node.get("Rows Removed by Filter", 0) for node in scans}

    # Page 1 needs 2: the head ("Trà 1", "Trà xanh 0", "Trà xanh 1") holds two scoring 16.
    assert scans_run(per_page=2) == (catalogue[:2], {"ix_search_documents_name_len": 3})
    # A page of 3: the head holds two, so the tier is ranked whole.
    page, scans = scans_run(per_page=3)
    assert page == catalogue[:3] and len(scans) == 2
    # A filter that no product of the head passes: with one match the head is not read at all;
    # with more matches than the limit, its 3 products are read, no more, then the matches.
    wine = f.category("Rượu", "Wine")
    wines = [f.product(f"Trà ướp rượu nếp cẩm Đông Triều {n}", cat=wine).id for n in range(4)]
    page, scans = scans_run(per_page=2, category="wine", producer=_db.session.get(Product, wines[0]).producer_id)
    assert page == wines[:1] and "ix_search_documents_name_len" not in scans
    page, scans = scans_run(per_page=2, category="wine")
    assert page == wines[:2] and len(scans) == 2 and scans["ix_search_documents_name_len"] == 3
    # Several words, or a page needing more than the head (page 2 needs 4), are ranked whole at once.
    for params in ({"q": "tra xanh", "per_page": 2}, {"q": "tra", "per_page": 2, "page": 2}):
        with recorded() as statements:
            postgres.search(BrowseParams(**params))
        assert statements and not any(HEAD.search(sql) for sql, _ in statements), params
