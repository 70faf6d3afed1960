"""PostgreSQL full-text search: for deployments with several app servers.

`search_documents` holds each public product's folded text (Python folding: đ -> d,
which unaccent alone does not do), a weighted `tsvector` of every field (name A,
description B, producer/place/category C), a `tsvector` of the name alone, both with
GIN indexes, and copies of the values searches filter, count and sort on. The rows
are written in the same transaction as the change they follow (see sync.py), so they
commit and roll back with it, whichever app server made it.

Matching, counting and sorted pages read the narrow twin `search_facets` (models.py): the
words without positions (GIN), the filter and sort values, and one number for each
(category, group, locality). A result set's total and facets are one grouped scan of its
narrow rows, grouped by two numbers (that key and the live stars); the numbers are named
from a per-process map (a key's three values never change, so it is never stale). The
scan stops after SEARCH_EXACT_COUNT_LIMIT matches: a larger result set's counts are
estimated from the share of the table those came from (`total_exact` False).
What matches and how a page is ranked is built in postgres_ranking.py. The GIN indexes
are built with `fastupdate = off`: a write pays for its index entries at once, so no search
has to read a pending list.
Spelling correction compares the query with every name and producer/place/category
phrase, kept per process (spelling.py).
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from ..cache import version_token
from ..catalog.models import Producer, Product
from ..extensions import db
from ..timeutil import local_today
from .base import Query, SearchBackend, SearchPage, rank_completions
from .documents import ProductDoc, count_public, iter_documents, load_documents
from .models import SearchDocument, SearchFacet
from .postgres_ranking import SIMPLE, conditions, live_stars, matches, name_page, page_query, rest_page
from .spelling import PhraseIndex
from .text import folded_words, padded, words

BATCH = 500
PHRASES_TTL_S = 300
UNNAMED = ("", "", "")  # the (category, group, locality) of a facet number no row holds any more
COPIED = ("name", "name_acc", "description", "meta", "tsv", "name_tsv", "name_len", "producer_id", "price",
          "stock", "sold", "created", "stars", "cert_until", "category", "category_group", "locality", "region")
TWIN_COPIED = ("producer_id", "price", "stock", "sold", "created", "stars", "cert_until", "category",
               "category_group", "locality", "region")


def _tsvector(name: str, description: str, meta: str):
    def part(text, weight):
        return sa.func.setweight(sa.func.to_tsvector(SIMPLE, text), sa.literal_column(f"'{weight}'::\"char\""))

    return part(name, "A").op("||")(part(description, "B")).op("||")(part(meta, "C"))


def _twins(ids: list[int]):
    """INSERT … SELECT of the narrow twins of these (just written) documents: their words
    without positions (`strip(tsv)`: nothing is folded or parsed twice), the copied values
    and the facet number, one number for (category, group, locality), slugs hold no spaces.
    The migration w8spg1 fills the first twins with the same expressions."""
    doc = SearchDocument
    facet = sa.func.hashtextextended(doc.category + " " + doc.category_group + " " + doc.locality, 0)
    columns = ["product_id", "facet", "terms", *TWIN_COPIED]
    rows = sa.select(doc.product_id, facet, sa.func.strip(doc.tsv), *(getattr(doc, c) for c in TWIN_COPIED)) \
        .where(doc.product_id.in_(ids))
    stmt = pg_insert(SearchFacet).from_select(columns, rows)
    return stmt.on_conflict_do_update(index_elements=[SearchFacet.product_id],
                                      set_={c: getattr(stmt.excluded, c) for c in columns[1:]})


def _row(doc: ProductDoc) -> dict:
    name, description, meta = padded(folded_words(doc.name)), padded(folded_words(doc.description)), \
        padded(folded_words(doc.meta))
    return {"product_id": doc.id, "name": name, "name_acc": padded(words(doc.name)), "description": description,
            "meta": meta, "tsv": _tsvector(name, description, meta), "name_tsv": sa.func.to_tsvector(SIMPLE, name),
            "name_len": name.count(" "), "producer_id": doc.producer_id, "price": doc.price, "stock": doc.stock,
            "sold": doc.sold, "created": doc.created, "stars": doc.stars, "cert_until": doc.cert_until,
            "category": doc.category, "category_group": doc.category_group, "locality": doc.locality,
            "region": doc.region}


@contextmanager
def _planned_each_time() -> Iterator[None]:
    """The statements inside are planned for their own words, never from a prepared generic plan.

    psycopg prepares a statement after a few runs, and PostgreSQL may then keep one generic
    plan for every tsquery: blind to how many rows match, it ranks a common word's thousands
    the way it would a rare word's few (several times slower for the rest after the name tier)."""
    driver = db.session.connection().connection.driver_connection
    threshold = getattr(driver, "prepare_threshold", None)
    if threshold is None:  # another driver, or preparing already off
        yield
        return
    driver.prepare_threshold = None
    try:
        yield
    finally:
        driver.prepare_threshold = threshold


class PostgresBackend(SearchBackend):
    name = "postgres"
    transactional = True  # rows are written inside the committing transaction

    def __init__(self):
        if db.engine.dialect.name != "postgresql":
            raise RuntimeError("SEARCH_BACKEND=postgres needs a PostgreSQL DATABASE_URL")
        self._lock = threading.Lock()
        self._phrases: tuple | None = None  # (catalogue version, read at, PhraseIndex)
        self._facets: dict[int, tuple[str, str, str]] = {}  # facet number -> (category, group, locality)

    # -- reading ---------------------------------------------------------------------
    def sample(self, query: Query, params, today: int) -> sa.CTE:
        """The narrow rows of the first SEARCH_EXACT_COUNT_LIMIT + 1 matches (through a bitmap of
        their GIN index, or in table order: below), what `counts` counts: facet number, live
        stars and where each was read.

        One word without filters is shown to the planner (`conditions` hides the words): its
        statistics give a single word's share of the rows closely, so a word in most of them is
        read in table order, stopping at the limit (a sequential scan, block order too, from the
        first block: the app's connections turn `synchronize_seqscans` off, config.py), rather
        than through a bitmap of every match. Several words or filters would be guessed as
        independent, and a wrong guess would read the whole table: they stay hidden."""
        doc = SearchFacet
        where = conditions(query.tokens, params, today)
        if len(query.tokens) == 1 and len(where) == 1:
            where = [matches(doc.terms, query.tokens)]
        return sa.select(doc.facet.label("facet"), live_stars(today).label("live"),
                         sa.literal_column("search_facets.ctid").label("row_at")) \
            .where(*where).limit(current_app.config["SEARCH_EXACT_COUNT_LIMIT"] + 1).cte("sample")

    def counts(self, sample: sa.CTE, page: sa.Select | None = None) -> tuple[dict, list[int]]:
        """Total and facets from one grouped scan of the `sample` of the matches, and the ids of
        `page` (a select of product ids in page order) in the same statement.

        Past the limit the counts are estimates (`total_exact` False): a bitmap heap scan, like a
        sequential one, reads the table in block order, so the rows read cover blocks 0 to the
        last one they came from, and the matches are taken to be spread over the rest of the
        table alike. Visiting every match of a common word cost more than the rest of the search
        together (see bench/README)."""
        limit = current_app.config["SEARCH_EXACT_COUNT_LIMIT"]
        # The block of the last row read (a ctid is "(block,offset)"): only the group's max is converted.
        blocks_read = sa.literal_column("(max(sample.row_at)::text::point)[0] + 1", sa.Float)
        pages = sa.select(sa.func.pg_relation_size("search_facets")
                          / sa.cast(sa.func.current_setting("block_size"), sa.BigInteger)).scalar_subquery()
        counted = sa.select(sa.literal(0), sample.c.facet, sample.c.live, sa.func.count(),
                            blocks_read, pages).group_by(sample.c.facet, sample.c.live)
        statement = counted
        if page is not None:  # its rows follow the counts, in the sub-select's order
            ranked = page.subquery()
            statement = sa.union_all(counted, sa.select(sa.literal(1), ranked.c.product_id, sa.literal(0),
                                                        sa.literal(0), sa.literal(0), sa.literal(0))
                                     .select_from(ranked))
        rows = db.session.execute(statement).all()
        groups = [row for row in rows if row[0] == 0]
        ids = [int(row[1]) for row in rows if row[0] == 1]
        read = sum(row[3] for row in groups)
        scale = 1.0
        if read > limit:  # matches in blocks 0 .. read_blocks - 1 of the table's blocks
            read_blocks = float(max(row[4] for row in groups))
            table_blocks = max(float(groups[0][5]), read_blocks)
            scale = max(table_blocks / read_blocks, 1.0)
        names = self._facet_names({row[1] for row in groups})
        facets = {"stars": {"3": 0, "4": 0, "5": 0}, "category": {}, "locality": {}}
        total = 0
        for _, facet, live, count, *_ in groups:
            count = round(count * scale)
            total += count
            if live:
                facets["stars"][str(live)] = facets["stars"].get(str(live), 0) + count
            category, group, locality = names.get(facet, UNNAMED)
            for key, value in (("category", category), ("category", group), ("locality", locality)):
                if value:
                    facets[key][value] = facets[key].get(value, 0) + count
        exact = read <= limit
        return {"total": total if exact else max(total, limit + 1), "facets": facets, "total_exact": exact}, ids

    def _facet_names(self, keys: set[int]) -> dict[int, tuple[str, str, str]]:
        """(category, group, locality) of each facet number: kept per process, read once per new number."""
        missing = keys - self._facets.keys()
        if missing:
            doc = SearchFacet
            found = db.session.execute(
                sa.select(doc.facet, doc.category, doc.category_group, doc.locality).distinct()
                .where(doc.facet.in_(missing))).all()
            with self._lock:
                self._facets.update((facet, tuple(values)) for facet, *values in found)
        return self._facets

    def count_in_name(self, query: Query, params, today: int) -> int:
        """How many matches have every word in the name (the name's GIN index)."""
        doc = SearchDocument
        return db.session.scalar(sa.select(sa.func.count()).select_from(doc).where(
            *conditions(query.tokens, params, today, doc, doc.name_tsv))) or 0

    def _search(self, query: Query, params) -> SearchPage:
        """One statement counts and reads the first candidates: the sorted page, or for relevance
        the page from the products with every word in the name; a page that runs past those
        (fewer than asked) ranks the rest in a second one."""
        with _planned_each_time():
            return self._search_page(query, params)

    def _search_page(self, query: Query, params) -> SearchPage:
        today = local_today().toordinal()
        offset, size = (params.page - 1) * params.per_page, params.per_page
        sample = self.sample(query, params, today)
        if params.effective_sort == "relevance":
            first = name_page(query, params, today, offset, size, sample)
        else:
            first = page_query(query, params, today, None).limit(size).offset(offset)
        counted, ids = self.counts(sample, first)
        total, exact = counted["total"], counted["total_exact"]
        if not total or (exact and offset >= total):
            return SearchPage(ids=[], total=total, facets=counted["facets"], total_exact=exact)
        if params.effective_sort == "relevance" and len(ids) < size:
            # Fewer than asked: the name tier ends on this page (or before it, then count it).
            named = offset + len(ids) if ids or not offset else self.count_in_name(query, params, today)
            if not exact or total > named:
                rest = rest_page(query, params, today, max(0, offset - named), size - len(ids))
                ids += db.session.scalars(rest)
        return SearchPage(ids=ids, total=total, facets=counted["facets"], total_exact=exact)

    def _has_match(self, tokens: list[str]) -> bool:
        if not tokens:
            return False
        with _planned_each_time():
            return db.session.scalar(sa.select(sa.exists().where(matches(SearchFacet.terms, tokens)))) or False

    def _phrase_indexes(self, tokens: list[str]) -> list[PhraseIndex]:
        """Every document's name and producer/place/category phrases, kept in this process.

        This process's writes drop the copy. The copy is keyed by the catalogue version
        (`cache.py`), which every change to a product, producer, category or locality moves
        once it commits, on any server; reading it costs no scan (it is usually this
        request's already), and `flask search reindex` moves it too."""
        doc = SearchDocument
        now = time.monotonic()
        key = version_token()
        with self._lock:
            cached = self._phrases
        if cached and cached[0] == key and now - cached[1] < PHRASES_TTL_S:
            return [cached[2]]
        rows = db.session.execute(sa.select(doc.name, doc.meta).execution_options(yield_per=2000))
        index = PhraseIndex(text for row in rows for text in row)
        with self._lock:
            self._phrases = (key, now, index)  # (catalogue version, read at, index)
        return [index]

    def _forget_phrases(self) -> None:
        with self._lock:
            self._phrases = None

    def suggest(self, prefix: str, limit: int = 10) -> list[dict]:
        query = Query.parse(prefix)
        if not query:
            return []
        *complete, last = query.tokens
        conditions = [SearchDocument.name.contains(f" {t} ", autoescape=True) for t in complete]
        conditions.append(SearchDocument.name.contains(f" {last}", autoescape=True))
        rows = db.session.execute(
            sa.select(Product.id, Product.slug, Product.name)
            .join(SearchDocument, SearchDocument.product_id == Product.id)
            .where(*conditions).order_by(Product.sold_count.desc(), Product.id).limit(max(limit * 5, 50))).all()
        return rank_completions(({"id": i, "slug": s, "name": n} for i, s, n in rows), query.tokens, limit)

    # -- writing ---------------------------------------------------------------------
    def write(self, session: Session, product_ids: set[int]) -> None:
        """Bring these products' rows in line with the database, in `session`'s transaction."""
        ids = {int(i) for i in product_ids if i is not None}
        if not ids:
            return
        self._forget_phrases()
        docs = load_documents(session, ids)
        gone = ids - docs.keys()
        if gone:
            session.execute(sa.delete(SearchDocument).where(SearchDocument.product_id.in_(gone)))
        self._upsert(session, list(docs.values()))

    @staticmethod
    def _upsert(session: Session, docs: list[ProductDoc]) -> None:
        for start in range(0, len(docs), BATCH):
            rows = [_row(doc) for doc in docs[start:start + BATCH]]
            if not rows:
                continue
            stmt = pg_insert(SearchDocument).values(rows)
            stmt = stmt.on_conflict_do_update(index_elements=[SearchDocument.product_id],
                                              set_={c: getattr(stmt.excluded, c) for c in COPIED})
            session.execute(stmt)
            session.execute(_twins([row["product_id"] for row in rows]))

    def apply(self, product_ids: set[int]) -> None:
        with Session(db.engine) as session:
            self.write(session, product_ids)
            session.commit()

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        self._forget_phrases()
        count = 0
        with Session(db.engine) as session:
            batch: list[ProductDoc] = []
            for doc in iter_documents(session):
                batch.append(doc)
                if len(batch) == BATCH:
                    count += self._flush_batch(session, batch, progress)
            count += self._flush_batch(session, batch, progress)
            public = sa.select(Product.id).join(Producer, Producer.id == Product.producer_id) \
                .where(Product.public_clause())
            session.execute(sa.delete(SearchDocument).where(SearchDocument.product_id.not_in(public)))
            session.commit()
        return count

    def _flush_batch(self, session, batch, progress) -> int:
        n = len(batch)
        self._upsert(session, batch)
        if progress and n:
            progress(n)
        batch.clear()
        return n

    def exists(self) -> bool:
        return db.session.scalar(sa.select(sa.exists().where(SearchDocument.product_id.isnot(None)))) or False

    def is_complete(self) -> bool:
        return self.exists() or count_public(db.session) == 0

    def clear(self) -> None:
        self._forget_phrases()
        db.session.execute(sa.delete(SearchDocument))
        db.session.commit()

    def doc_count(self) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(SearchDocument)) or 0

    def memory(self) -> dict:
        """The search tables with their indexes and PostgreSQL's `shared_buffers`, in bytes: tables
        larger than the buffers are read partly from the operating system's cache, and the
        searches that rank thousands of rows are then slower (bench/README.md)."""
        tables, buffers = db.session.execute(sa.text(
            "SELECT pg_total_relation_size('search_documents') + pg_total_relation_size('search_facets'),"
            " pg_size_bytes(current_setting('shared_buffers'))")).one()
        return {"tables_bytes": int(tables), "shared_buffers_bytes": int(buffers)}

    def health(self) -> dict:
        trgm = db.session.scalar(sa.text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'"))
        documents, expected = self.doc_count(), count_public(db.session)
        twins = db.session.scalar(sa.select(sa.func.count()).select_from(SearchFacet))
        ok = bool(trgm) and documents == expected == twins
        status = "ok" if ok else ("missing" if not documents or not trgm else "stale")
        return {"ok": ok, "backend": self.name, "status": status, "documents": documents, "expected": expected}
