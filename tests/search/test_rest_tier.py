"""Relevance past the name tier: products with only some of the words in the name.

Query `dac san ha long`; no product has all four words in its name. Scores (base.py):
  "Chả mực đặc biệt Hạ Long": dac, ha, long in the name (3 x 30), san in the description (10): 100
  "Bánh gai": every word and the phrase in the description (4 x 10 + 30): 70
  "Nhãn lồng": long in the name (30), dac, san, ha in the description (3 x 10): 60
A product with none of the words in its name scores at most 4 x (10 + 6) + 30 = 94, so a page
of the first kind is ranked from the products with a word in the name alone; a page reaching
"Bánh gai" (nameless, yet above "Nhãn lồng") must rank every match.
"""
from __future__ import annotations

import re

import pytest

from marketplace.catalog.listing import BrowseParams
from tests import factories as f

from .conftest import ON_POSTGRES, using
from .test_postgres_plans import documents_scanned

QUERY = "dac san ha long"


@pytest.fixture
def catalogue(db) -> list[int]:
    """Product ids in the order the rules rank them (equal scores: shorter name, then id)."""
    three_in_name = [f.product(f"Chả mực đặc biệt Hạ Long {n}", description="Sản phẩm tươi ngon").id for n in range(4)]
    none_in_name = [f.product(f"Bánh gai {n}", description="Đặc sản Hạ Long").id for n in range(3)]
    one_in_name = [f.product(f"Nhãn lồng {n}", description="Đặc sản Hà Nội").id for n in range(3)]
    return three_in_name + none_in_name + one_in_name


def test_pages_past_the_name_tier_follow_the_scores_whoever_holds_the_words(backend, catalogue):
    whole = backend.search(BrowseParams(q=QUERY, per_page=20))
    assert whole.ids == catalogue and whole.total == 10
    pages = [backend.search(BrowseParams(q=QUERY, per_page=3, page=page)).ids for page in (1, 2, 3, 4)]
    assert [i for page in pages for i in page] == catalogue


@pytest.fixture
def postgres(app, db):
    with using(app, "postgres") as backend:
        yield backend


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only (set DATABASE_URL)")
def test_a_page_of_products_named_with_the_words_never_reads_the_nameless_ones(postgres, catalogue):
    def scans_run(**params) -> tuple[list[int], int]:
        """The page, and how many scans of the documents its rest-tier statement ran (ANALYZE)."""
        page, scans = documents_scanned(lambda: postgres.search(BrowseParams(q=QUERY, **params)),
                                        re.compile("WITH named"))
        return page.ids, len(scans)

    # The first four score 100 > 94: pages 1 and 2 of 2 read the named matches alone.
    assert scans_run(per_page=2) == (catalogue[:2], 1)
    assert scans_run(per_page=2, page=2) == (catalogue[2:4], 1)
    # Page 3 needs a sixth product: the sixth with a word in the name scores 60, below 94, so
    # the nameless ones are read too (and a nameless "Bánh gai" comes first).
    assert scans_run(per_page=2, page=3) == (catalogue[4:6], 2)
