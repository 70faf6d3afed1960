"""The embedded default: a Whoosh (whoosh-reloaded) index in a local directory.

Layout of SEARCH_INDEX_DIR:
  products/      the Whoosh index
  pending.ids    journal of product ids waiting to be written (one per line)
  write.lock     held (fcntl) by the one process writing the index at a time
  built.json     written by a full rebuild: the index is complete

Writes from several gunicorn workers: every change is first appended to the journal
(under its own short lock), then the writer takes write.lock and drains the journal,
re-reading each product from the database, until the journal is empty. A worker that
cannot get write.lock in time leaves its ids in the journal for the holder (who checks
the journal again before releasing) or the next writer, so no update is lost and
nobody crashes on Whoosh's own writer lock, which only the write.lock holder touches.
"""
from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, Iterable

from sqlalchemy.orm import Session
from whoosh import fields, index, sorting, writing
from whoosh import query as Q
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer

from ..extensions import db
from ..timeutil import local_today
from .base import Query, SearchBackend, SearchPage
from .documents import ProductDoc, count_public, iter_documents, load_documents
from .text import fold_vietnamese, folded_words

log = logging.getLogger(__name__)

TEXT_FIELDS = ("name", "description", "meta")
STALE_JOURNAL_S = 60


class FoldFilter(Filter):
    """Strips Vietnamese marks (đ -> d) from lower-cased tokens; offsets stay those of the original."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = fold_vietnamese(token.text)
            yield token


FOLDED = RegexTokenizer(r"\w+") | LowercaseFilter() | FoldFilter()
ACCENTED = RegexTokenizer(r"\w+") | LowercaseFilter()


def _numeric(**kwargs):
    # Signed: NumericRange on unsigned fields matches wrongly in whoosh-reloaded 2.7.
    return fields.NUMERIC(int, bits=64, signed=True, **kwargs)


SCHEMA = fields.Schema(
    pk=fields.ID(unique=True, stored=True),
    id=_numeric(sortable=True),
    slug=fields.STORED,
    title=fields.STORED,
    name=fields.TEXT(analyzer=FOLDED, phrase=True),
    name_acc=fields.TEXT(analyzer=ACCENTED, phrase=True),
    description=fields.TEXT(analyzer=FOLDED, phrase=True),
    meta=fields.TEXT(analyzer=FOLDED, phrase=False),
    producer_id=_numeric(),
    category=fields.ID(sortable=True),
    category_group=fields.ID(sortable=True),
    locality=fields.ID(sortable=True),
    region=fields.ID(),
    price=_numeric(sortable=True),
    stock=_numeric(sortable=True),
    sold=_numeric(sortable=True),
    created=_numeric(sortable=True),
    stars=_numeric(sortable=True),
    cert_until=_numeric(sortable=True),
)

# Relative weights of the matching rules (see base.py).
W_NAME, W_DESCRIPTION, W_META = 3.0, 1.0, 0.6
W_PHRASE_NAME, W_PHRASE_DESCRIPTION = 12.0, 3.0
W_ACCENT_PHRASE, W_ACCENT_WORD = 16.0, 4.0


def _fields(doc: ProductDoc) -> dict:
    return {
        "pk": str(doc.id), "id": doc.id, "slug": doc.slug, "title": doc.name,
        "name": doc.name, "name_acc": doc.name, "description": doc.description, "meta": doc.meta,
        "producer_id": doc.producer_id, "category": doc.category, "category_group": doc.category_group,
        "locality": doc.locality, "region": doc.region, "price": doc.price, "stock": doc.stock,
        "sold": doc.sold, "created": doc.created, "stars": doc.stars, "cert_until": doc.cert_until,
    }


@contextmanager
def file_lock(path: str, timeout: float, poll: float = 0.02):
    """An exclusive fcntl lock on `path`, waiting up to `timeout` s. Yields whether it was taken."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    acquired = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                acquired = True
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() >= deadline:
                    break
                time.sleep(poll)
        yield acquired
    finally:
        if acquired:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


class _PerThread(threading.local):
    ix = None
    searcher = None
    vocabulary: tuple[int, dict[str, int]] | None = None


class WhooshBackend(SearchBackend):
    name = "whoosh"
    transactional = False  # changes are applied after the database commit

    def __init__(self, root: str, write_timeout: float = 3.0):
        self.root = root
        self.path = os.path.join(root, "products")
        self.journal = os.path.join(root, "pending.ids")
        self.lock_path = os.path.join(root, "write.lock")
        self.marker = os.path.join(root, "built.json")
        self.write_timeout = write_timeout
        self._local = _PerThread()

    # -- index files -----------------------------------------------------------------
    def exists(self) -> bool:
        return index.exists_in(self.path)

    def _open(self, create: bool = False):
        if not self.exists():
            if not create:
                return None
            os.makedirs(self.path, exist_ok=True)
            with file_lock(os.path.join(self.root, "create.lock"), timeout=10):
                if not self.exists():
                    index.create_in(self.path, SCHEMA)
        return index.open_dir(self.path)

    def _searcher(self):
        """This thread's searcher on the latest committed version of the index (or None)."""
        local = self._local
        if local.searcher is not None:
            try:
                if local.searcher.up_to_date():
                    return local.searcher
            except Exception:  # noqa: BLE001 - index removed underneath: reopen below
                pass
            # Not Searcher.refresh(): it reuses segment readers whose deletions have changed.
            self._forget()
        ix = self._open()
        if ix is None:
            return None
        local.ix, local.searcher = ix, ix.searcher()
        return local.searcher

    def _forget(self) -> None:
        local = self._local
        if local.searcher is not None:
            try:
                local.searcher.close()
            except Exception:  # noqa: BLE001
                pass
        local.ix = local.searcher = local.vocabulary = None

    # -- reading ---------------------------------------------------------------------
    def _text_query(self, query: Query):
        tokens = query.tokens
        required = Q.And([
            Q.Or([Q.Term("name", t, boost=W_NAME), Q.Term("description", t, boost=W_DESCRIPTION),
                  Q.Term("meta", t, boost=W_META)])
            for t in tokens])
        bonus = []
        if len(tokens) > 1:
            bonus += [Q.Phrase("name", tokens, boost=W_PHRASE_NAME),
                      Q.Phrase("description", tokens, boost=W_PHRASE_DESCRIPTION)]
        if query.accented:
            if len(query.accented) > 1:
                bonus.append(Q.Phrase("name_acc", query.accented, boost=W_ACCENT_PHRASE))
            bonus += [Q.Term("name_acc", w, boost=W_ACCENT_WORD) for w in query.accented]
        return Q.AndMaybe(required, Q.Or(bonus)) if bonus else required

    @staticmethod
    def _filters(params, today: int) -> list:
        filters = []
        if params.stars:
            filters.append(Q.And([Q.Or([Q.NumericRange("stars", s, s) for s in params.stars]),
                                  Q.NumericRange("cert_until", today, None)]))
        if params.category:
            filters.append(Q.Or([Q.Term("category", params.category),
                                 Q.Term("category_group", params.category)]))
        if params.locality:
            filters.append(Q.Or([Q.Term("locality", params.locality), Q.Term("region", params.locality)]))
        if params.producer is not None:
            filters.append(Q.NumericRange("producer_id", params.producer, params.producer))
        if params.price_min is not None or params.price_max is not None:
            filters.append(Q.NumericRange("price", params.price_min, params.price_max))
        if params.in_stock is True:
            filters.append(Q.NumericRange("stock", 1, None))
        elif params.in_stock is False:
            filters.append(Q.NumericRange("stock", None, 0))
        return filters

    @staticmethod
    def _sortedby(sort: str, today: int):
        F = sorting.FieldFacet
        if sort == "price_asc":
            keys = [F("price"), F("id")]
        elif sort == "price_desc":
            keys = [F("price", reverse=True), F("id", reverse=True)]
        elif sort == "stars":
            keys = [_live_stars_facet(today, lambda stars: -stars), F("sold", reverse=True), F("id", reverse=True)]
        elif sort == "bestselling":
            keys = [F("sold", reverse=True), F("id", reverse=True)]
        elif sort == "newest":
            keys = [F("created", reverse=True), F("id", reverse=True)]
        else:
            keys = [sorting.ScoreFacet(), F("id")]
        return sorting.MultiFacet(keys)

    def _catch_up(self) -> None:
        """Apply changes a worker left in the journal when it could not get the lock in time."""
        try:
            pending = os.path.getsize(self.journal) > 0
        except OSError:
            return
        if pending:
            try:
                self._drain(timeout=0)
            except Exception:  # noqa: BLE001 - never fail a search over it; health reports it
                log.exception("search index catch-up failed")

    def search(self, params) -> SearchPage:
        self._catch_up()
        return super().search(params)

    def _search(self, query: Query, params) -> SearchPage:
        searcher = self._searcher()
        if searcher is None or not query:
            return SearchPage(ids=[], total=0, facets=_empty_facets())
        today = local_today().toordinal()
        q = self._text_query(query)
        filters = self._filters(params, today)
        if filters:
            q = Q.And([q] + [Q.ConstantScoreQuery(f, 0.0) for f in filters])
        per_page, page = params.per_page, params.page
        offset = (page - 1) * per_page
        groupedby = {
            "stars": _live_stars_facet(today),
            "category": sorting.FieldFacet("category"),
            "category_group": sorting.FieldFacet("category_group"),
            "locality": sorting.FieldFacet("locality"),
        }
        results = searcher.search(q, limit=offset + per_page, sortedby=self._sortedby(params.effective_sort, today),
                                  groupedby=groupedby, maptype=sorting.Count)
        ids = [hit["id"] for hit in results[offset:offset + per_page]] if offset < len(results) else []
        stars = {"3": 0, "4": 0, "5": 0}
        for value, count in results.groups("stars").items():
            if value:
                stars[str(value)] = count
        category: dict[str, int] = {}
        for name in ("category", "category_group"):
            for slug, count in results.groups(name).items():
                if slug:
                    category[slug] = category.get(slug, 0) + count
        locality = {slug: n for slug, n in results.groups("locality").items() if slug}
        return SearchPage(ids=[int(i) for i in ids], total=len(results),
                          facets={"stars": stars, "category": category, "locality": locality})

    def _has_match(self, tokens: list[str]) -> bool:
        searcher = self._searcher()
        if searcher is None or not tokens:
            return False
        return not searcher.search(self._text_query(Query(tokens)), limit=1).is_empty()

    def _vocabulary(self) -> dict[str, int]:
        """Folded words of the searchable fields with their document frequency (cached per version)."""
        searcher = self._searcher()
        if searcher is None:
            return {}
        reader = searcher.reader()
        generation = reader.generation()
        cached = self._local.vocabulary
        if cached and cached[0] == generation:
            return cached[1]
        vocabulary: dict[str, int] = {}
        for fieldname in TEXT_FIELDS:
            from_bytes = SCHEMA[fieldname].from_bytes
            for btext, info in reader.iter_field(fieldname):
                term = from_bytes(btext)
                vocabulary[term] = vocabulary.get(term, 0) + info.doc_frequency()
        self._local.vocabulary = (generation, vocabulary)
        return vocabulary

    def _known(self, token: str) -> bool:
        return token in self._vocabulary()

    def _candidates(self, token: str, maxdist: int) -> Iterable[tuple[str, int]]:
        size = len(token)
        return [(term, n) for term, n in self._vocabulary().items() if abs(len(term) - size) <= maxdist]

    def suggest(self, prefix: str, limit: int = 10) -> list[dict]:
        query = Query.parse(prefix)
        if not query:
            return []
        self._catch_up()
        searcher = self._searcher()
        if searcher is None:
            return []
        *complete, last = query.tokens
        q = Q.And([Q.Term("name", t) for t in complete] + [Q.Prefix("name", last)])
        results = searcher.search(q, limit=max(limit * 5, 50), sortedby=sorting.FieldFacet("sold", reverse=True))
        return rank_completions(
            ({"id": hit["id"], "slug": hit["slug"], "name": hit["title"]} for hit in results),
            query.tokens, limit)

    # -- writing ---------------------------------------------------------------------
    def apply(self, product_ids: set[int]) -> None:
        ids = {int(i) for i in product_ids if i is not None}
        if not ids:
            return
        os.makedirs(self.root, exist_ok=True)
        self._journal_append(ids)
        if not self._drain(self.write_timeout):
            log.warning("search index busy: %d change(s) left in the journal for the next writer", len(ids))

    def _drain(self, timeout: float) -> bool:
        with file_lock(self.lock_path, timeout) as acquired:
            if not acquired:
                return False
            while ids := self._journal_take():
                self._write(ids)
            return True

    def _write(self, ids: set[int]) -> None:
        try:
            ix = self._open(create=True)
            with Session(db.engine) as session:
                docs = load_documents(session, ids)
            writer = ix.writer(timeout=10.0)
            try:
                for pid in sorted(ids):
                    doc = docs.get(pid)
                    if doc is None:
                        writer.delete_by_term("pk", str(pid))
                    else:
                        writer.update_document(**_fields(doc))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
        except BaseException:
            self._journal_append(ids)  # keep them for the next writer
            raise

    def _journal_append(self, ids: Iterable[int]) -> None:
        with open(self.journal, "a", encoding="ascii") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                fh.write("".join(f"{i}\n" for i in ids))
                fh.flush()
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _journal_take(self) -> set[int]:
        try:
            fh = open(self.journal, "r+", encoding="ascii")
        except FileNotFoundError:
            return set()
        with fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                ids = {int(line) for line in fh.read().split() if line.isdigit()}
                fh.seek(0)
                fh.truncate()
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return ids

    def _journal_state(self) -> tuple[int, float]:
        """(pending ids, age in seconds of the oldest pending write)."""
        try:
            stat = os.stat(self.journal)
            with open(self.journal, encoding="ascii") as fh:
                pending = len(set(fh.read().split()))
        except FileNotFoundError:
            return 0, 0.0
        return pending, (time.time() - stat.st_mtime) if pending else 0.0

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        os.makedirs(self.root, exist_ok=True)
        with file_lock(self.lock_path, timeout=600) as acquired:
            if not acquired:
                raise RuntimeError("the search index is locked by another writer")
            self._journal_take()  # read below from the database anyway
            ix = self._open(create=True)
            writer = ix.writer(limitmb=128)
            count = 0
            try:
                with Session(db.engine) as session:
                    for doc in iter_documents(session):
                        writer.add_document(**_fields(doc))
                        count += 1
                        if progress:
                            progress(1)
            except BaseException:
                writer.cancel()
                raise
            writer.commit(mergetype=writing.CLEAR, optimize=True)
            with open(self.marker, "w", encoding="utf-8") as fh:
                json.dump({"built_at": datetime.now(timezone.utc).isoformat(), "documents": count}, fh)
            while ids := self._journal_take():  # changes committed while we were rebuilding
                self._write(ids)
        return count

    def is_complete(self) -> bool:
        return self.exists() and os.path.exists(self.marker)

    def clear(self) -> None:
        os.makedirs(self.path, exist_ok=True)
        with file_lock(self.lock_path, timeout=30):
            index.create_in(self.path, SCHEMA)
            self._journal_take()
            if os.path.exists(self.marker):
                os.remove(self.marker)
        self._forget()

    def doc_count(self) -> int:
        searcher = self._searcher()
        return searcher.doc_count() if searcher is not None else 0

    def health(self) -> dict:
        expected = count_public(db.session)
        if not self.exists():
            return {"ok": expected == 0, "backend": self.name, "status": "missing" if expected else "empty",
                    "documents": 0, "expected": expected}
        documents = self.doc_count()
        pending, age = self._journal_state()
        stale = documents != expected or age > STALE_JOURNAL_S
        built_at = None
        if os.path.exists(self.marker):
            with open(self.marker, encoding="utf-8") as fh:
                built_at = json.load(fh).get("built_at")
        return {"ok": not stale, "backend": self.name, "status": "stale" if stale else "ok",
                "documents": documents, "expected": expected, "pending": pending, "built_at": built_at}


def _live_stars_facet(today: int, then=lambda stars: stars):
    """Public stars of each document (0 once the certificate has expired), from the columns."""
    stars_value, until_value = SCHEMA["stars"].from_column_value, SCHEMA["cert_until"].from_column_value

    def key(stars, until):
        stars = stars_value(stars)
        return then(stars if stars and until_value(until) >= today else 0)

    return sorting.TranslateFacet(key, sorting.FieldFacet("stars"), sorting.FieldFacet("cert_until"))


def _empty_facets() -> dict:
    return {"stars": {"3": 0, "4": 0, "5": 0}, "category": {}, "locality": {}}


def rank_completions(candidates: Iterable[dict], tokens: list[str], limit: int) -> list[dict]:
    """Names that start with what was typed first, then the rest (candidates come best-selling first)."""
    typed = " ".join(tokens)
    seen, starts, others = set(), [], []
    for item in candidates:
        key = " ".join(folded_words(item["name"]))
        if key in seen:
            continue
        seen.add(key)
        (starts if key.startswith(typed) else others).append(item)
    return (starts + others)[:limit]
