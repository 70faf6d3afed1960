"""Misspelled real queries find the product meant, on every backend.

`misspellings.csv` lists queries as shoppers type them against the shipped Quảng Ninh
catalogue (`flask seed`): letter typos, missing or wrong accents, telex leftovers, each
with the product it should find. At least 90% must have that product in the top 3.
The catalogue is seeded once for the module (432 products), like tests/test_seed.py.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tests.conftest import empty_tables

from marketplace.catalog.listing import BrowseParams, browse
from marketplace.search import get_backend

from .conftest import BACKENDS

CASES = list(csv.DictReader((Path(__file__).parent / "misspellings.csv").open(encoding="utf-8")))


@pytest.fixture(autouse=True)
def _clean_tables():
    """Overrides conftest's per-test cleanup: the seeded catalogue is shared by this module's tests."""
    yield


@pytest.fixture(scope="module")
def seeded(app):
    empty_tables(app)
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    yield
    empty_tables(app)


@pytest.fixture(params=BACKENDS)
def indexed(request, app, seeded, ctx):
    previous = app.config["SEARCH_BACKEND"]
    app.config["SEARCH_BACKEND"] = request.param
    get_backend().rebuild()
    yield get_backend()
    app.config["SEARCH_BACKEND"] = previous


def test_the_list_is_long_enough_and_varied():
    assert len(CASES) >= 40
    assert {case["kind"] for case in CASES} == {"typo", "telex", "accents"}


def test_misspelled_queries_find_the_product_in_the_top_three(indexed):
    missed = []
    for case in CASES:
        result = browse(BrowseParams(q=case["query"], per_page=3))
        slugs = [p.slug for p in result.items]
        if case["product_slug"] not in slugs:
            missed.append(f"{case['query']!r}: {slugs} (did you mean: {result.suggestion})")
    print(f"{len(CASES) - len(missed)}/{len(CASES)} found in the top 3")
    assert len(missed) <= len(CASES) // 10, "\n".join(missed)


def test_corrections_are_known_phrases_not_word_by_word_edits(indexed):
    result = browse(BrowseParams(q="tra hao vang"))
    assert result.suggestion == "tra hoa vang"
    assert {p.slug for p in result.items} >= {"tra-hoa-vang-ba-che", "tra-hoa-vang-quy-hoa"}
    assert browse(BrowseParams(q="traf hoa vangf")).suggestion == "tra hoa vang"
    assert browse(BrowseParams(q="xyzxyz qwqw")).suggestion is None
