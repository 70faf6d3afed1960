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

Reading: Whoosh's own collector scores and facets document by document in Python,
far too slow for thousands of hits. Here Whoosh stores the index (analysis, postings,
segments, deletions, vocabulary); a query takes the postings of its words as sets,
intersects them, filters and counts facets on per-document columns decoded once per
segment (a `_Snapshot` per index version), and ranks only the matching documents by
the rules in base.py, checking phrases and accents on the folded/accented name
columns. The result: a first page with facets in a few milliseconds at 20,000 products.
"""
from __future__ import annotations

import errno
import fcntl
import heapq
import json
import logging
import os
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, Iterable

from sqlalchemy.orm import Session
from whoosh import columns, fields, index, writing
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer

from ..extensions import db
from ..timeutil import local_today
from .base import Query, SearchBackend, SearchPage
from .documents import ProductDoc, count_public, iter_documents, load_documents
from .text import fold_vietnamese, folded_words, padded, words

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


def _number():
    return fields.COLUMN(columns.NumericColumn("q"))


def _text_column():
    return fields.COLUMN(columns.VarBytesColumn())


SCHEMA = fields.Schema(
    pk=fields.ID(unique=True, stored=True),
    slug=fields.STORED,
    title=fields.STORED,
    # Searched words (postings only: phrases and accents are checked on the columns below).
    name=fields.TEXT(analyzer=FOLDED, phrase=False),
    description=fields.TEXT(analyzer=FOLDED, phrase=False),
    meta=fields.TEXT(analyzer=FOLDED, phrase=False),
    # Per-document values, not indexed: filters, facets, sorts, ranking.
    id=_number(), producer_id=_number(), price=_number(), stock=_number(), sold=_number(),
    created=_number(), stars=_number(), cert_until=_number(),
    category=fields.COLUMN(columns.RefBytesColumn()), category_group=fields.COLUMN(columns.RefBytesColumn()),
    locality=fields.COLUMN(columns.RefBytesColumn()), region=fields.COLUMN(columns.RefBytesColumn()),
    name_f=_text_column(), name_a=_text_column(), desc_f=_text_column(),
)
NUMBER_COLUMNS = ("id", "producer_id", "price", "stock", "sold", "created", "stars", "cert_until")
STRING_COLUMNS = ("category", "category_group", "locality", "region", "name_f", "name_a", "desc_f")

# Relative weights of the matching rules (see base.py).
W_NAME, W_DESCRIPTION, W_META = 3.0, 1.0, 0.6
W_PHRASE_NAME, W_PHRASE_DESCRIPTION = 12.0, 3.0
W_ACCENT_PHRASE, W_ACCENT_WORD = 16.0, 4.0


def _fields(doc: ProductDoc) -> dict:
    def b(text: str) -> bytes:
        return text.encode("utf-8")

    return {
        "pk": str(doc.id), "slug": doc.slug, "title": doc.name,
        "name": doc.name, "description": doc.description, "meta": doc.meta,
        "id": doc.id, "producer_id": doc.producer_id, "price": doc.price, "stock": doc.stock, "sold": doc.sold,
        "created": doc.created, "stars": doc.stars, "cert_until": doc.cert_until,
        "category": b(doc.category), "category_group": b(doc.category_group), "locality": b(doc.locality),
        "region": b(doc.region), "name_f": b(padded(folded_words(doc.name))), "name_a": b(padded(words(doc.name))),
        "desc_f": b(padded(folded_words(doc.description))),
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
    """Whoosh readers are not shared between threads: one searcher (and postings cache) each."""

    def __init__(self):
        self.ix = None
        self.searcher = None
        self.version = None
        self.postings: dict = {}


class _Snapshot:
    """The per-document columns of one index version, as lists indexed by global docnum.

    Columns are decoded once per segment (segments are immutable; a process keeps the
    decoded ones it still uses), deletions and today's live stars per version.
    """

    def __init__(self, version, reader, today: int, segment_cache: dict):
        self.version = version
        self.today = today
        self.parts: list[tuple[str, int]] = []
        self.col: dict[str, list] = {name: [] for name in NUMBER_COLUMNS + STRING_COLUMNS}
        self.deleted: set[int] = set()
        for segment_reader, offset in reader.leaf_readers():
            if segment_reader.segment() is None:  # an empty index
                continue
            seg_id = segment_reader.segment().segment_id()
            decoded = segment_cache.get(seg_id)
            if decoded is None:
                decoded = segment_cache[seg_id] = _decode(segment_reader)
            self.parts.append((seg_id, offset))
            for name, values in self.col.items():
                values.extend(decoded[name])
            if segment_reader.has_deletions():
                self.deleted.update(offset + d for d in segment_reader.deleted_docs_set)
        self.live_stars = [s if s and u >= today else 0 for s, u in zip(self.col["stars"], self.col["cert_until"])]
        self.name_length = [name.count(" ") for name in self.col["name_f"]]
        self._ranks: dict[str, list[int]] = {}

    def filter(self, docs: set, params) -> set:
        col = self.col
        if params.stars:
            wanted, live = set(params.stars), self.live_stars
            docs = {d for d in docs if live[d] in wanted}
        if params.category:
            slug, category, group = params.category, col["category"], col["category_group"]
            docs = {d for d in docs if category[d] == slug or group[d] == slug}
        if params.locality:
            slug, locality, region = params.locality, col["locality"], col["region"]
            docs = {d for d in docs if locality[d] == slug or region[d] == slug}
        if params.producer is not None:
            producer, wanted = col["producer_id"], params.producer
            docs = {d for d in docs if producer[d] == wanted}
        if params.price_min is not None or params.price_max is not None:
            low = params.price_min if params.price_min is not None else -1
            high = params.price_max if params.price_max is not None else float("inf")
            price = col["price"]
            docs = {d for d in docs if low <= price[d] <= high}
        if params.in_stock is not None:
            stock, wanted = col["stock"], params.in_stock
            docs = {d for d in docs if (stock[d] > 0) is wanted}
        return docs

    def facets(self, docs: set) -> dict:
        def count(values):
            return Counter(map(values.__getitem__, docs))

        stars = {"3": 0, "4": 0, "5": 0}
        for value, n in count(self.live_stars).items():
            if value:
                stars[str(value)] = n
        category = dict(count(self.col["category"]))
        for slug, n in count(self.col["category_group"]).items():
            if slug:
                category[slug] = category.get(slug, 0) + n
        return {"stars": stars, "category": category, "locality": dict(count(self.col["locality"]))}

    def sort_rank(self, sort: str) -> list[int]:
        """Position of each document in the whole index under `sort` (computed once per version)."""
        rank = self._ranks.get(sort)
        if rank is None:
            col, ids = self.col, self.col["id"]
            keys = {
                "price_asc": lambda d: (col["price"][d], ids[d]),
                "price_desc": lambda d: (-col["price"][d], -ids[d]),
                "stars": lambda d: (-self.live_stars[d], -col["sold"][d], -ids[d]),
                "bestselling": lambda d: (-col["sold"][d], -ids[d]),
            }
            key = keys.get(sort, lambda d: (-col["created"][d], -ids[d]))  # newest
            rank = [0] * len(ids)
            for position, d in enumerate(sorted(range(len(ids)), key=key)):
                rank[d] = position
            self._ranks[sort] = rank
        return rank


def _decode(segment_reader) -> dict[str, list]:
    decoded = {}
    for name in NUMBER_COLUMNS:
        decoded[name] = [int(v) for v in segment_reader.column_reader(name, translate=False)]
    for name in STRING_COLUMNS:
        decoded[name] = [v.decode("utf-8") for v in segment_reader.column_reader(name, translate=False)]
    return decoded


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
        self._shared: dict = {}  # this process's decoded segments, snapshot and vocabulary
        self._shared_lock = threading.Lock()

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

    def _toc(self, name: str) -> tuple | None:
        try:
            stat = os.stat(os.path.join(self.path, name))
        except FileNotFoundError:
            return None
        return name, stat.st_ino, stat.st_mtime_ns

    def _version(self) -> tuple | None:
        """Identity of the latest committed index version: its TOC file's name, inode and mtime.

        Unlike the generation number alone, it also changes when the index is removed and
        built again (the generations start over).
        """
        try:
            tocs = [name for name in os.listdir(self.path) if name.startswith("_MAIN_") and name.endswith(".toc")]
        except FileNotFoundError:
            return None
        if not tocs:
            return None
        return self._toc(max(tocs, key=lambda name: int(name[6:-4]) if name[6:-4].isdigit() else -1))

    def _searcher(self):
        """This thread's searcher on the latest committed version of the index (or None)."""
        local = self._local
        latest = self._version()
        if local.searcher is not None and local.version == latest:
            return local.searcher
        # A new version: a fresh searcher (not Searcher.refresh(), which reuses segment
        # readers whose deletions have changed).
        self._forget()
        if latest is None:
            return None
        ix = self._open()
        if ix is None:
            return None
        searcher = ix.searcher()
        generation = searcher.reader().generation()
        # The version this searcher actually reads (a commit may have landed meanwhile).
        version = self._toc(f"_MAIN_{generation}.toc") if isinstance(generation, int) and generation >= 0 else latest
        local.ix, local.searcher, local.version = ix, searcher, version
        return searcher

    def _forget(self) -> None:
        local = self._local
        if local.searcher is not None:
            try:
                local.searcher.close()
            except Exception:  # noqa: BLE001
                pass
        local.ix = local.searcher = local.version = None
        local.postings = {}

    # -- reading ---------------------------------------------------------------------
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

    def _snapshot(self) -> "_Snapshot | None":
        """Per-document columns of the current index version (shared by this process's threads)."""
        searcher = self._searcher()
        if searcher is None:
            return None
        reader, version = searcher.reader(), self._local.version
        today = local_today().toordinal()
        snapshot = self._shared.get("snapshot")
        if snapshot is not None and snapshot.version == version and snapshot.today == today:
            return snapshot
        with self._shared_lock:
            snapshot = self._shared.get("snapshot")
            if snapshot is None or snapshot.version != version or snapshot.today != today:
                segments = self._shared.setdefault("segments", {})
                snapshot = _Snapshot(version, reader, today, segments)
                live = {seg_id for seg_id, _ in snapshot.parts}
                for seg_id in list(segments):
                    if seg_id not in live:
                        del segments[seg_id]
                self._shared["snapshot"] = snapshot
        return snapshot

    def _postings(self, field: str, term: str) -> frozenset:
        """Global document numbers of the documents containing `term` in `field`."""
        searcher = self._searcher()
        reader = searcher.reader()
        cache = self._local.postings
        key = (self._local.version, field, term)
        found = cache.get(key)
        if found is None:
            if (field, term) in reader:
                found = frozenset(reader.postings(field, term).all_ids())
            else:
                found = frozenset()
            if len(cache) > 512:
                cache.clear()
            cache[key] = found
        return found

    def _word_sets(self, tokens: list[str]) -> list[tuple[frozenset, frozenset, frozenset]]:
        return [(self._postings("name", t), self._postings("description", t), self._postings("meta", t))
                for t in tokens]

    def _matching(self, tokens: list[str], snapshot: "_Snapshot") -> tuple[set, list]:
        """Documents containing every word (in the name, description or meta), and the word sets."""
        word_sets = self._word_sets(tokens)
        matched: set | None = None
        for sets in sorted(word_sets, key=lambda s: sum(map(len, s))):
            either = sets[0] | sets[1] | sets[2]
            matched = set(either) if matched is None else matched & either
            if not matched:
                break
        matched = matched or set()
        if snapshot.deleted:
            matched -= snapshot.deleted
        return matched, word_sets

    def _search(self, query: Query, params) -> SearchPage:
        snapshot = self._snapshot()
        if snapshot is None or not query:
            return SearchPage(ids=[], total=0, facets=_empty_facets())
        matched, word_sets = self._matching(query.tokens, snapshot)
        matched = snapshot.filter(matched, params)
        facets = snapshot.facets(matched)
        offset, per_page = (params.page - 1) * params.per_page, params.per_page
        sort = params.effective_sort
        if sort == "relevance":
            top = self._ranked(query, matched, word_sets, snapshot, offset + per_page)
        else:
            top = heapq.nsmallest(offset + per_page, matched, key=snapshot.sort_rank(sort).__getitem__)
        ids = [snapshot.col["id"][d] for d in top[offset:offset + per_page]]
        return SearchPage(ids=ids, total=len(matched), facets=facets)

    @staticmethod
    def _ranked(query: Query, matched: set, word_sets, snapshot: "_Snapshot", k: int) -> list[int]:
        """The best k documents by the matching rules (base.py); ties: shorter name, then id."""
        score = dict.fromkeys(matched, 0.0)
        for name_docs, description_docs, meta_docs in word_sets:
            for docs, weight in ((name_docs, W_NAME), (description_docs, W_DESCRIPTION), (meta_docs, W_META)):
                for d in matched.intersection(docs):
                    score[d] += weight
        in_name = set(matched)
        for name_docs, _, _ in word_sets:
            in_name &= name_docs
        name_f, name_a, desc_f = snapshot.col["name_f"], snapshot.col["name_a"], snapshot.col["desc_f"]
        if len(query.tokens) > 1:
            phrase = padded(query.tokens)
            for d in in_name:
                if phrase in name_f[d]:
                    score[d] += W_PHRASE_NAME
            in_description = set(matched)
            for _, description_docs, _ in word_sets:
                in_description &= description_docs
            for d in in_description:
                if phrase in desc_f[d]:
                    score[d] += W_PHRASE_DESCRIPTION
        if query.accented:
            accented_phrase = padded(query.accented) if len(query.accented) > 1 else None
            accented_words = [f" {w} " for w in query.accented]
            candidates = set().union(*(name_docs for name_docs, _, _ in word_sets)) & matched
            for d in candidates:
                name = name_a[d]
                if accented_phrase and accented_phrase in name:
                    score[d] += W_ACCENT_PHRASE
                for word in accented_words:
                    if word in name:
                        score[d] += W_ACCENT_WORD
        length, ids = snapshot.name_length, snapshot.col["id"]
        return heapq.nsmallest(k, matched, key=lambda d: (-score[d], length[d], ids[d]))

    def _has_match(self, tokens: list[str]) -> bool:
        snapshot = self._snapshot()
        return bool(snapshot is not None and tokens and self._matching(tokens, snapshot)[0])

    def _vocabulary(self) -> dict[str, int]:
        """Folded words of the searchable fields with their document frequency (cached per version)."""
        searcher = self._searcher()
        if searcher is None:
            return {}
        reader, version = searcher.reader(), self._local.version
        cached = self._shared.get("vocabulary")
        if cached and cached[0] == version:
            return cached[1]
        vocabulary: dict[str, int] = {}
        for fieldname in TEXT_FIELDS:
            from_bytes = SCHEMA[fieldname].from_bytes
            for btext, info in reader.iter_field(fieldname):
                term = from_bytes(btext)
                vocabulary[term] = vocabulary.get(term, 0) + info.doc_frequency()
        self._shared["vocabulary"] = (version, vocabulary)
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
        snapshot = self._snapshot()
        if snapshot is None:
            return []
        searcher = self._searcher()
        *complete, last = query.tokens
        docs: set | None = None
        for token in complete:
            names = self._postings("name", token)
            docs = set(names) if docs is None else docs & names
        completing: set = set()
        for btext in searcher.reader().expand_prefix("name", last):
            completing |= self._postings("name", SCHEMA["name"].from_bytes(btext))
        docs = completing if docs is None else docs & completing
        docs -= snapshot.deleted
        sold, ids = snapshot.col["sold"], snapshot.col["id"]
        best = heapq.nsmallest(max(limit * 5, 50), docs, key=lambda d: (-sold[d], ids[d]))
        stored = (searcher.stored_fields(d) for d in best)
        return rank_completions(({"id": int(f["pk"]), "slug": f["slug"], "name": f["title"]} for f in stored),
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
