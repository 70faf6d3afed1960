"""What a PostgreSQL search matches and how a page of it is ranked: the parts of its statements.

The rules are base.py's, with the Whoosh backend's weights. Matches with every word in the name
rank first: a page is first asked of them alone (the name's GIN index; every word in the name is
a match), so when they fill it nothing else is scored; a one-word query's tier with many matches
is read shortest names first until a page of top scores is found (`name_page`). Only a page that
runs past them ranks the rest, from the wide rows (weights, phrases), first those with a word of
the query in the name when no match without one could outscore them (`rest_page`).

Matching and sorted pages read the narrow `search_facets` (its `terms`: the words without
positions); ranking reads `search_documents` (models.py). postgres_backend.py runs what is
built here, with the counts.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from .base import (W_ACCENT_PHRASE, W_ACCENT_WORD, W_DESCRIPTION, W_META, W_NAME, W_PHRASE_DESCRIPTION, W_PHRASE_NAME,
                   Query)
from .models import SearchDocument, SearchFacet
from .text import padded

LEXEME = re.compile(r"[^\W_]+")
SIMPLE = sa.literal_column("'simple'::regconfig")
# A one-word query's page is first looked for among this many products with the shortest names,
# when it needs at most a twentieth of them (the first pages).
HEAD_ROWS, HEAD_SHARE = 2000, 20


# -- matching ------------------------------------------------------------------------
def matches(column, tokens: list[str], opaque: bool = False):
    """`column @@ tsquery`: every word.

    `opaque`: the tsquery is a sub-select, which the planner cannot see into, so it
    assumes a small share of rows match and reads them through the GIN bitmap. Seeing a
    common word, it would rather scan the narrow table and test every row's words (`@@`,
    which it prices like an `=`): several times slower."""
    lexemes = [lexeme for token in tokens for lexeme in LEXEME.findall(token)]
    if not lexemes:
        return sa.false()
    tsquery = sa.func.to_tsquery(SIMPLE, " & ".join(lexemes))
    if opaque:
        tsquery = sa.select(tsquery).scalar_subquery()
    return column.op("@@", return_type=sa.Boolean)(tsquery)


def _matches_any(column, tokens: list[str]):
    """`column @@ tsquery`: at least one of the words."""
    words_ = ["(" + " & ".join(lexemes) + ")" for token in tokens if (lexemes := LEXEME.findall(token))]
    if not words_:
        return sa.false()
    return column.op("@@", return_type=sa.Boolean)(sa.func.to_tsquery(SIMPLE, " | ".join(words_)))


def live_stars(today: int, table=SearchFacet):
    """The stars of a product whose certificate is still valid on `today` (an ordinal), else 0."""
    return sa.case((table.cert_until >= today, table.stars), else_=0)


def conditions(tokens: list[str], params, today: int, doc=SearchFacet, words=None) -> list:
    """Every word (`words`: the column to match, the narrow `terms` unless given) and the filters."""
    found = [matches(doc.terms, tokens, opaque=True) if words is None else matches(words, tokens)]
    if params.stars:
        found.append(live_stars(today, doc).in_(params.stars))
    if params.category:
        found.append(sa.or_(doc.category == params.category, doc.category_group == params.category))
    if params.locality:
        found.append(sa.or_(doc.locality == params.locality, doc.region == params.locality))
    if params.producer is not None:
        found.append(doc.producer_id == params.producer)
    if params.price_min is not None:
        found.append(doc.price >= params.price_min)
    if params.price_max is not None:
        found.append(doc.price <= params.price_max)
    if params.in_stock is True:
        found.append(doc.stock > 0)
    elif params.in_stock is False:
        found.append(doc.stock <= 0)
    return found


# -- ranking -------------------------------------------------------------------------
@dataclass
class _Score:
    """A ranked match's score as a selected column (`score`), the most any match can score, and
    the most that a match with none of the words in its name can score."""

    column: sa.Label
    best: int
    best_without_name_words: int


def _score(query: Query, all_in_name: bool, rows: str = "search_documents") -> _Score:
    """The matching rules of base.py as SQL, the same weights as the Whoosh backend, for the
    documents `rows` names (the table, or a sub-select of it).

    Among products with every word in the name (`all_in_name`) the name part is the
    same for all, so it is left out of their score. Written as one SQL fragment with
    bound values: as an expression tree it has a node per word and field, which
    SQLAlchemy would walk on every search to find its cached statement."""
    terms, binds = [], {}
    best = best_without_name_words = 0

    def bonus(test: str, value: str, points: int, in_name: bool) -> None:
        nonlocal best, best_without_name_words
        # One name per sub-select; "score_N" would be SQLAlchemy's name for a value compared with `score`.
        name = f"{rows}_rule_{len(binds)}"
        binds[name] = value
        terms.append(f"CASE WHEN {test.format(f':{name}')} THEN {points} ELSE 0 END")
        best += points
        if not in_name:
            best_without_name_words += points

    # A word in the name: the name's own small tsvector (the A-weighted part of `tsv` without
    # positions to walk); in the description (B) or among producer/place/category (C): `tsv`.
    fields_ = ((f"{rows}.tsv", ":B", W_DESCRIPTION, False), (f"{rows}.tsv", ":C", W_META, False))
    if not all_in_name:
        fields_ = ((f"{rows}.name_tsv", "", W_NAME, True),) + fields_
    for token in query.tokens:
        lexemes = LEXEME.findall(token)
        for column, weight, points, in_name in fields_ if lexemes else ():
            bonus(f"{column} @@ to_tsquery('simple', {{}})", " & ".join(f"{x}{weight}" for x in lexemes), points,
                  in_name)
    if len(query.tokens) > 1:
        phrase = padded(query.tokens)
        if all_in_name:  # a phrase in the name needs every word there
            bonus(f"strpos({rows}.name, {{}}) > 0", phrase, W_PHRASE_NAME, True)
        bonus(f"strpos({rows}.description, {{}}) > 0", phrase, W_PHRASE_DESCRIPTION, False)
    if query.accented:  # an accented word in the name is there folded too
        if len(query.accented) > 1 and all_in_name:
            bonus(f"strpos({rows}.name_acc, {{}}) > 0", padded(query.accented), W_ACCENT_PHRASE, True)
        for word in query.accented:
            bonus(f"strpos({rows}.name_acc, {{}}) > 0", f" {word} ", W_ACCENT_WORD, True)
    expression = sa.text(f"({' + '.join(terms) or '0'})").bindparams(**binds)
    return _Score(sa.type_coerce(expression, sa.Integer).label("score"), best, best_without_name_words)


@functools.cache
def _shortest(rows: int) -> sa.Subquery:
    """The documents with the shortest names, in ranking order: what a head row is ranked and filtered
    by (name_page). The same for every search, so built once (a column of a sub-select is a new
    Python object each time)."""
    doc = SearchDocument
    columns = ("product_id", "name_len", "name_tsv", "tsv", "name_acc", "stars", "cert_until", "category",
               "category_group", "locality", "region", "producer_id", "price", "stock")
    shortest = sa.select(*(getattr(doc, name) for name in columns)).order_by(doc.name_len, doc.product_id) \
        .limit(rows).subquery("shortest")
    shortest.c  # its columns made now, before two searches could make them at once
    return shortest


def _page_of(skip: int, take: int, *candidates: sa.Select) -> sa.Select:
    """Ids of a page of the candidates (selects of product_id, score, name_len), in ranking order."""
    both = sa.union_all(*candidates).subquery()
    return sa.select(both.c.product_id).order_by(both.c.score.desc(), both.c.name_len, both.c.product_id) \
        .limit(take).offset(skip)


def _sorted_by(sort: str, today: int) -> list:
    doc = SearchFacet
    return {
        "price_asc": [doc.price.asc(), doc.product_id.asc()],
        "price_desc": [doc.price.desc(), doc.product_id.desc()],
        "stars": [live_stars(today).desc(), doc.sold.desc(), doc.product_id.desc()],
        "bestselling": [doc.sold.desc(), doc.product_id.desc()],
    }.get(sort, [doc.created.desc(), doc.product_id.desc()])


def page_query(query: Query, params, today: int, in_name: bool | None, score: _Score | None = None) -> sa.Select:
    """Ids in page order; for relevance, only the matches with (True) or without (False) every
    word in the name, each with its `score`."""
    if params.effective_sort != "relevance":
        return sa.select(SearchFacet.product_id).where(*conditions(query.tokens, params, today)) \
            .order_by(*_sorted_by(params.effective_sort, today))
    doc = SearchDocument
    if in_name:  # every word in the name: a match, found by the name's own index
        select = sa.select(doc.product_id).where(*conditions(query.tokens, params, today, doc, doc.name_tsv))
    else:
        select = sa.select(doc.product_id).where(*conditions(query.tokens, params, today, doc, doc.tsv),
                                                 sa.not_(matches(doc.name_tsv, query.tokens)))
    score = score or _score(query, bool(in_name))
    return select.add_columns(score.column, doc.name_len).order_by(score.column.desc(), doc.name_len,
                                                                   doc.product_id)


def name_page(query: Query, params, today: int, skip: int, take: int, sample: sa.CTE) -> sa.Select:
    """Ids of a page of the matches with every word in the name (relevance), past `skip` of them.

    A one-word query's name tier can hold thousands of products (`tra`), most of them scoring
    the most a match can (the word in the description and among producer/place/category too),
    which then rank by name length. So the page is first looked for among the HEAD_ROWS
    products with the shortest names (their index, in ranking order): when enough of those
    are matches scoring the most, they are the page, in the order ranking every match would
    give, and nothing else is read. Otherwise the whole tier is ranked, in the same statement
    (a one-time filter on how many were found). The head counts products, not matches, so a
    rare word or a filter that excludes most of them costs at most those reads, and it is
    read only when the count's `sample` (postgres_backend) holds more matches than the
    exact-count limit: fewer are ranked at once. Several words rarely all score the most (a
    phrase in the name and in the description, each word everywhere), and later pages need more
    of the head than it is likely to hold: both are ranked whole."""
    score = _score(query, True)
    ranked = page_query(query, params, today, True, score)
    needed = skip + take
    if len(query.tokens) > 1 or needed * HEAD_SHARE > HEAD_ROWS:
        return ranked.limit(take).offset(skip)
    many = sa.select(sa.func.count()).select_from(sample).scalar_subquery() \
        > current_app.config["SEARCH_EXACT_COUNT_LIMIT"]
    head = _shortest(HEAD_ROWS).c
    head_matches = sa.select(head.product_id, _score(query, True, "shortest").column, head.name_len) \
        .where(*conditions(query.tokens, params, today, head, head.name_tsv)).subquery("head")
    best = sa.select(head_matches).where(many, head_matches.c.score == score.best) \
        .order_by(head_matches.c.name_len, head_matches.c.product_id).limit(needed).cte("best")
    found = sa.select(sa.func.count()).select_from(best).scalar_subquery()
    tier = ranked.where(found < needed).limit(needed).subquery()
    return _page_of(skip, take, sa.select(best).where(found >= needed), sa.select(tier))


def rest_page(query: Query, params, today: int, skip: int, take: int) -> sa.Select:
    """Ids of a page of the matches without every word in the name (relevance), past `skip` of them.

    With several words the page is first ranked from the matches with at least one of them
    in the name (the name's index). The others (a query naming a place or a producer has
    thousands) are read and ranked, in the same statement, only when those fall short: fewer
    than the page needs, or the last it needs scoring no more than a match with no word in
    its name can. Their branch is a one-time filter, so otherwise it is never run."""
    score = _score(query, False)
    ranked = page_query(query, params, today, False, score)
    if len(query.tokens) < 2:
        return ranked.limit(take).offset(skip)
    needed = skip + take
    in_name = _matches_any(SearchDocument.name_tsv, query.tokens)
    named = ranked.where(in_name).limit(needed).cte("named")
    short = sa.or_(sa.select(sa.func.count()).select_from(named).scalar_subquery() < needed,
                   sa.select(sa.func.min(named.c.score)).scalar_subquery() <= score.best_without_name_words)
    others = ranked.where(sa.not_(in_name), short).limit(needed).subquery()
    return _page_of(skip, take, sa.select(named), sa.select(others))
