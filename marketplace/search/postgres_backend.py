"""PostgreSQL full-text search: for deployments with several app servers.

`search_documents` holds each public product's folded text (Python folding: đ -> d,
which unaccent alone does not do) and a weighted `tsvector` (name A, description B,
producer/place/category C) with a GIN index; the vocabulary `search_terms` and the
folded names carry pg_trgm GIN indexes (typo candidates, prefix completion). The rows
are written in the same transaction as the change they follow (see sync.py), so they
commit and roll back with it, whichever app server made it. Filters, facets and sorts
are the shop's own SQL (catalog.listing) restricted to the matching documents.
"""
from __future__ import annotations

from typing import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from ..catalog.models import Producer, Product
from ..extensions import db
from ..timeutil import local_today
from .base import Query, SearchBackend, SearchPage
from .documents import ProductDoc, count_public, iter_documents, load_documents
from .models import SearchDocument, SearchTerm
from .text import folded_words, padded, words
from .whoosh_backend import rank_completions

# Relative weights of the matching rules (see base.py); ts_rank gives ~0.1-1.
TS_WEIGHTS = "{0.0, 0.2, 0.4, 1.0}"  # D, C (producer/place/category), B (description), A (name)
W_PHRASE_NAME, W_PHRASE_DESCRIPTION = 2.0, 0.5
W_ACCENT_PHRASE, W_ACCENT_WORD = 3.0, 0.6
BATCH = 500


def _tsvector(name: str, description: str, meta: str):
    def part(text, weight):
        return sa.func.setweight(sa.func.to_tsvector(sa.literal_column("'simple'::regconfig"), text),
                                 sa.literal_column(f"'{weight}'::\"char\""))

    return part(name, "A").op("||")(part(description, "B")).op("||")(part(meta, "C"))


def _row(doc: ProductDoc) -> dict:
    name, description, meta = padded(folded_words(doc.name)), padded(folded_words(doc.description)), \
        padded(folded_words(doc.meta))
    return {"product_id": doc.id, "name": name, "name_acc": padded(words(doc.name)), "description": description,
            "meta": meta, "tsv": _tsvector(name, description, meta)}


class PostgresBackend(SearchBackend):
    name = "postgres"
    transactional = True  # rows are written inside the committing transaction

    def __init__(self):
        if db.engine.dialect.name != "postgresql":
            raise RuntimeError("SEARCH_BACKEND=postgres needs a PostgreSQL DATABASE_URL")

    # -- reading ---------------------------------------------------------------------
    @staticmethod
    def _tsquery(tokens: list[str]):
        return sa.func.plainto_tsquery(sa.literal_column("'simple'::regconfig"), " ".join(tokens))

    def _rank(self, query: Query, tsquery):
        doc = SearchDocument
        rank = sa.func.ts_rank(sa.literal_column(f"'{TS_WEIGHTS}'::float4[]"), doc.tsv, tsquery)

        def bonus(column, text, weight):
            return sa.case((sa.func.strpos(column, text) > 0, weight), else_=0.0)

        if len(query.tokens) > 1:
            phrase = padded(query.tokens)
            rank = rank + bonus(doc.name, phrase, W_PHRASE_NAME) + bonus(doc.description, phrase,
                                                                         W_PHRASE_DESCRIPTION)
        if query.accented:
            if len(query.accented) > 1:
                rank = rank + bonus(doc.name_acc, padded(query.accented), W_ACCENT_PHRASE)
            for word in query.accented:
                rank = rank + bonus(doc.name_acc, f" {word} ", W_ACCENT_WORD)
        return rank

    def _search(self, query: Query, params) -> SearchPage:
        from ..catalog import listing

        today = local_today()
        tsquery = self._tsquery(query.tokens)
        conditions, stars_expr = listing._filtered(params, None, today)
        conditions.append(Product.id.in_(
            sa.select(SearchDocument.product_id).where(SearchDocument.tsv.op("@@")(tsquery))))
        # The total is the sum of the facet scan's groups: one pass over the matches, not two.
        counted = listing.total_and_facets(conditions, stars_expr)
        total, facets = counted["total"], counted["facets"]
        if not total:
            return SearchPage(ids=[], total=0, facets=facets)
        page = listing._base(sa.select(Product.id)).where(*conditions)
        sort = params.effective_sort
        if sort == "relevance":
            page = (page.join(SearchDocument, SearchDocument.product_id == Product.id)
                    .order_by(self._rank(query, tsquery).desc(), Product.id))
        else:
            page = page.order_by(*listing._order_by(sort, stars_expr))
        ids = list(db.session.scalars(page.limit(params.per_page).offset((params.page - 1) * params.per_page)))
        return SearchPage(ids=ids, total=total, facets=facets)

    def _has_match(self, tokens: list[str]) -> bool:
        if not tokens:
            return False
        return db.session.scalar(sa.select(sa.exists().where(
            SearchDocument.tsv.op("@@")(self._tsquery(tokens))))) or False

    def _known(self, token: str) -> bool:
        return db.session.get(SearchTerm, token) is not None

    def _candidates(self, token: str, maxdist: int) -> Iterable[tuple[str, int]]:
        similarity = sa.func.similarity(SearchTerm.term, token)
        rows = db.session.execute(
            sa.select(SearchTerm.term, similarity)
            .where(sa.func.length(SearchTerm.term).between(len(token) - maxdist, len(token) + maxdist))
            .order_by(similarity.desc(), SearchTerm.term).limit(60)).all()
        return [(term, int(sim * 1000)) for term, sim in rows]

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
            stmt = stmt.on_conflict_do_update(
                index_elements=[SearchDocument.product_id],
                set_={c: getattr(stmt.excluded, c) for c in ("name", "name_acc", "description", "meta", "tsv")})
            session.execute(stmt)
            terms = {t for row in rows for col in ("name", "description", "meta") for t in row[col].split()
                     if len(t) <= 64}
            if terms:
                session.execute(pg_insert(SearchTerm).values([{"term": t} for t in sorted(terms)])
                                .on_conflict_do_nothing())

    def apply(self, product_ids: set[int]) -> None:
        with Session(db.engine) as session:
            self.write(session, product_ids)
            session.commit()

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        count = 0
        with Session(db.engine) as session:
            session.execute(sa.delete(SearchTerm))
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
        db.session.execute(sa.delete(SearchDocument))
        db.session.execute(sa.delete(SearchTerm))
        db.session.commit()

    def doc_count(self) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(SearchDocument)) or 0

    def health(self) -> dict:
        trgm = db.session.scalar(sa.text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'"))
        documents, expected = self.doc_count(), count_public(db.session)
        ok = bool(trgm) and documents == expected
        status = "ok" if ok else ("missing" if not documents or not trgm else "stale")
        return {"ok": ok, "backend": self.name, "status": status, "documents": documents, "expected": expected}
