"""The PostgreSQL search queries keep using their indexes (EXPLAIN of the real statements).

Each search below runs through the backend while the statements it sends are recorded;
each is then explained with sequential scans priced out (`enable_seqscan = off`), so a
query that can still use its index shows it, and one that no longer can (an expression
the index does not cover, a lost index) falls back to a sequential scan and fails here.
PostgreSQL only.
"""
from __future__ import annotations

import json
import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from marketplace.catalog.listing import BrowseParams
from marketplace.extensions import db as _db
from marketplace.search import get_backend
from tests import factories as f

from .conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only (set DATABASE_URL)")


@pytest.fixture
def postgres(app, db):
    previous = app.config["SEARCH_BACKEND"]
    app.config["SEARCH_BACKEND"] = "postgres"
    f.product("Trà hoa vàng Ba Chẽ", description="Trà hoa vàng sấy khô")
    f.product("Mật ong rừng Ba Chẽ", description="Dùng kèm trà")
    yield get_backend()
    app.config["SEARCH_BACKEND"] = previous


@contextmanager
def recorded():
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and ("search_documents" in statement
                                                                or "search_facets" in statement):
            statements.append((statement, parameters))

    sa.event.listen(_db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", record)


def explain(statement: str, parameters) -> dict:
    with _db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
        conn.exec_driver_sql("RESET enable_seqscan")
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return plan[0]["Plan"]


def nodes(plan: dict):
    found = [plan]
    while found:
        node = found.pop()
        yield node
        found.extend(node.get("Plans", []))


def documents_scanned(action, statement: re.Pattern) -> tuple[object, list[dict]]:
    """What `action` returns, and the scans of `search_documents` that ran (EXPLAIN ANALYZE, so
    with their actual rows) in the one statement it sent that matches `statement`."""
    with recorded() as statements:
        result = action()
    [(sql, parameters)] = [(sql, values) for sql, values in statements if statement.search(sql)]
    with _db.engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, parameters).scalar()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return result, [node for node in nodes(plan[0]["Plan"])
                    if node.get("Relation Name") == "search_documents" and node.get("Actual Loops", 0) > 0]


def indexes_used(statement: str, parameters) -> set[str]:
    return {node["Index Name"] for node in nodes(explain(statement, parameters)) if "Index Name" in node}


def plans(action) -> list[tuple[str, set[str]]]:
    with recorded() as statements:
        action()
    return [(statement, indexes_used(statement, parameters)) for statement, parameters in statements]


def test_a_search_counts_and_ranks_its_page_in_one_statement_through_the_gin_indexes(postgres):
    postgres.search(BrowseParams(q="tra hoa vang"))  # reads the names of the facet numbers, once per process
    with recorded() as statements:
        page = postgres.search(BrowseParams(q="tra hoa vang", stars=[4], per_page=1))
    assert page.total == 1 and len(page.ids) == 1
    assert len(statements) == 1, statements
    statement, parameters = statements[0]
    plan = explain(statement, parameters)
    # The counts read the narrow twin through its words' index; the page, the wide rows with
    # every word in the name through the name's index.
    counting = next(node for node in nodes(plan) if node["Node Type"] == "Aggregate")
    assert {node.get("Index Name") for node in nodes(counting)} >= {"ix_search_facets_terms"}, plan
    assert {node["Relation Name"] for node in nodes(counting) if "Relation Name" in node} == {"search_facets"}, plan
    # and stop after the exact-count limit (past it the counts are estimated).
    assert any(node["Node Type"] == "Limit" for node in nodes(counting)), plan
    assert "ix_search_documents_name_tsv" in indexes_used(statement, parameters), plan


@pytest.mark.parametrize(("params", "shown"), [
    ({"q": "tra"}, True),  # one word: its share of the rows is known; a common one is read in order
    ({"q": "tra hoa"}, False),  # several words would be guessed as independent,
    ({"q": "tra", "stars": [4]}, False),  # and so would a filter: behind a sub-select the guess is small
], ids=["one word", "two words", "filtered"])
def test_counting_shows_the_planner_one_unfiltered_word_and_hides_the_others(postgres, params, shown):
    """Seeing a common word the planner reads the narrow table in order and stops at the count
    limit; seeing words it misjudges as common it could read the whole table, so those hide
    behind a sub-select and the GIN bitmap is used. Either way the index can serve the count."""
    postgres.search(BrowseParams(**params))
    with recorded() as statements:
        postgres.search(BrowseParams(**params))
    statement, parameters = statements[0]
    conditions = [node.get("Index Cond", "") for node in nodes(explain(statement, parameters))
                  if node.get("Index Name") == "ix_search_facets_terms"]
    assert conditions and all(("terms @@ $" in condition) is not shown for condition in conditions), conditions


def test_sequential_scans_start_at_the_first_block(postgres):
    """Estimated counts assume the rows a scan read came first in the table: no scan may join
    another one midway (PostgreSQL's synchronized scans), on any of the app's connections."""
    assert _db.session.execute(sa.text("SHOW synchronize_seqscans")).scalar() == "off"


def test_sorted_pages_and_the_match_test_use_the_narrow_words_index(postgres):
    explained = plans(lambda: postgres.search(BrowseParams(q="ba che", sort="price_asc")))
    assert explained and all("ix_search_facets_terms" in used for _, used in explained), explained
    assert all("search_documents" not in sql for sql, _ in explained), explained
    explained = plans(lambda: postgres._has_match(["mat", "ong"]))
    assert explained and "ix_search_facets_terms" in explained[0][1], explained


def test_completion_uses_the_trigram_index(postgres):
    explained = plans(lambda: postgres.suggest("tra ho"))
    assert explained and "ix_search_documents_name_trgm" in explained[0][1], explained


# Every kind of query bench/search.py times: each statement it sends must read through an index.
QUERY_KINDS = [
    {"q": "trà hoa vàng"}, {"q": "tra"}, {"q": "banh da"}, {"q": "dac san ba che"},
    {"q": "mat ong", "stars": [4, 5]}, {"q": "tra", "category": "tra"}, {"q": "tra", "locality": "ba-che"},
    {"q": "tra", "price_min": 50_000, "price_max": 200_000}, {"q": "tra", "in_stock": True},
    {"q": "tra", "sort": "bestselling"}, {"q": "tra", "sort": "stars"},
    {"q": "tra", "per_page": 1, "page": 2},  # past the name tier: the name tier is counted
    {"q": "tra hao vang"}, {"q": "mat ogn rung", "stars": [4]},  # typos: correction, then the corrected search
]


@pytest.mark.parametrize("params", QUERY_KINDS, ids=lambda p: " ".join(f"{k}={v}" for k, v in p.items()))
def test_every_query_kind_reads_its_matches_through_an_index(postgres, params):
    postgres.search(BrowseParams(**params))  # the phrase list is read once, before recording
    explained = plans(lambda: postgres.search(BrowseParams(**params)))
    # Statements with a WHERE: the phrase list read and its freshness check scan on purpose,
    # and so does the one-off read of new facet numbers' names (the first search did it).
    searched = [(sql, used) for sql, used in explained if "WHERE" in sql.split()]
    assert searched, explained
    missing = [sql for sql, used in searched
               if not used & {"ix_search_facets_terms", "ix_search_documents_tsv", "ix_search_documents_name_tsv"}]
    assert not missing, missing


def test_a_page_past_the_name_tier_counts_that_tier_through_the_name_index(postgres):
    explained = plans(lambda: postgres.search(BrowseParams(q="tra", per_page=1, page=2)))
    counted = [used for sql, used in explained if "count(*)" in sql and "GROUP BY" not in sql]
    assert counted and "ix_search_documents_name_tsv" in counted[0], explained


def test_an_unfiltered_typo_does_not_scan_for_matches_it_already_counted(postgres):
    statements = []
    with recorded() as statements:
        page = postgres.search(BrowseParams(q="tra hao vang"))
    assert page.suggestion == "tra hoa vang" and page.total == 1
    # The empty count already said "no match": the only EXISTS test is the correction's.
    assert sum("EXISTS" in sql for sql, _ in statements) == 1, statements


GIN_INDEXES = ("ix_search_documents_tsv", "ix_search_documents_name_tsv", "ix_search_documents_name_trgm",
               "ix_search_facets_terms")


def test_the_gin_indexes_keep_no_pending_list(postgres):
    options = dict(_db.session.execute(sa.text(
        "SELECT relname, array_to_string(reloptions, ',') FROM pg_class WHERE relname = ANY(:names)"),
        {"names": list(GIN_INDEXES)}).all())
    assert options == dict.fromkeys(GIN_INDEXES, "fastupdate=off")


def test_searches_are_planned_for_their_own_words_not_from_a_prepared_generic_plan(postgres):
    """psycopg prepares a statement run often; PostgreSQL may then reuse one plan for every word."""
    for _ in range(8):
        postgres.search(BrowseParams(q="tra hoa vang"))
        postgres.search(BrowseParams(q="ba che", sort="price_asc"))
        postgres._has_match(["mat", "ong"])
    prepared = _db.session.scalars(sa.text("SELECT statement FROM pg_prepared_statements")).all()
    assert not [sql for sql in prepared if "search_facets" in sql or "search_documents" in sql], prepared


def test_relevance_scores_are_added_as_integers(postgres):
    """Each rule's points are whole tenths: the sort key of a ranked page is integer arithmetic,
    never numeric (which PostgreSQL adds in software, for every match a page ranks)."""
    with recorded() as statements:
        postgres.search(BrowseParams(q="tra", per_page=1, page=2))  # both tiers ranked
    ranked = [(sql, parameters) for sql, parameters in statements if "CASE WHEN" in sql]
    assert len(ranked) == 2, statements
    for statement, parameters in ranked:
        with _db.engine.connect() as conn:
            plan = conn.exec_driver_sql("EXPLAIN (VERBOSE, FORMAT JSON) " + statement, parameters).scalar()
        plan = plan if isinstance(plan, list) else json.loads(plan)
        keys = [key for node in nodes(plan[0]["Plan"]) for key in node.get("Sort Key", []) if "CASE" in key]
        assert keys and not [key for key in keys if "numeric" in key], keys
