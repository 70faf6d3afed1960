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
segments, deletions, vocabulary); a query takes the postings of its words as bitmaps,
intersects them, filters and counts facets on per-document columns decoded once per
segment (a `Snapshot` per index version, whoosh_columns.py), and ranks by the rules in
base.py only the matches a page needs (those with every word in the name when they
fill the page): each rule is a bitmap, the matches are grouped by score with a few ANDs,
and only the documents of the best groups are listed, in the snapshot's tie order.
Sorted pages walk the snapshot's precomputed order the same way.
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
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, Iterable

from sqlalchemy.orm import Session
from whoosh import index, writing

from ..extensions import db
from ..timeutil import local_today
from .base import Query, SearchBackend, SearchPage, rank_completions
from .documents import count_public, iter_documents, load_documents
from .spelling import PhraseIndex
from .whoosh_columns import SCHEMA, Snapshot, _fields, empty_facets, from_bits, ranked, sum_bits

log = logging.getLogger(__name__)

STALE_JOURNAL_S = 60


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

    def _snapshot(self) -> "Snapshot | None":
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
                snapshot = Snapshot(version, reader, today, segments)
                live = {seg_id for seg_id, _ in snapshot.parts}
                for seg_id in list(segments):
                    if seg_id not in live:
                        del segments[seg_id]
                self._shared["snapshot"] = snapshot
        return snapshot

    def _postings(self, field: str, term: str, snapshot: Snapshot) -> int:
        """The documents containing `term` in `field`, as a bitmap of global numbers."""
        searcher = self._local.searcher or self._searcher()  # the caller's search opened it
        cache = self._local.postings
        key = (self._local.version, field, term)
        found = cache.get(key)
        if found is None:
            if len(cache) > 512:
                cache.clear()
            found = cache[key] = snapshot.postings(searcher.reader(), field, term)
        return found

    def _matching(self, tokens: list[str], snapshot: Snapshot) -> tuple[int, list]:
        """The documents containing every word (in the name, description or meta) as a bitmap,
        and per word the bitmaps of name, description and meta."""
        word_bits = [tuple(self._postings(field, t, snapshot) for field in ("name", "description", "meta"))
                     for t in tokens]
        matched = snapshot.live
        for name_bits, description_bits, meta_bits in word_bits:
            matched &= name_bits | description_bits | meta_bits
        return matched, word_bits

    def _search(self, query: Query, params) -> SearchPage:
        snapshot = self._snapshot()
        if snapshot is None or not query:
            return SearchPage(ids=[], total=0, facets=empty_facets())
        matched, word_bits = self._matching(query.tokens, snapshot)
        matched = snapshot.filter(matched, params)
        facets = snapshot.facets(matched)
        offset, per_page = (params.page - 1) * params.per_page, params.per_page
        sort = params.effective_sort
        if sort == "relevance":
            top = ranked(query, matched, word_bits, snapshot, offset + per_page)
        else:
            top = snapshot.first(sort, matched, offset + per_page)
        ids = [snapshot.col["id"][d] for d in top[offset:offset + per_page]]
        return SearchPage(ids=ids, total=matched.bit_count(), facets=facets)

    def _has_match(self, tokens: list[str]) -> bool:
        snapshot = self._snapshot()
        return bool(snapshot is not None and tokens and self._matching(tokens, snapshot)[0])

    def _phrase_indexes(self, tokens: list[str]) -> list[PhraseIndex]:
        snapshot = self._snapshot()
        if snapshot is None:
            return []
        with self._shared_lock:
            return snapshot.phrase_indexes()

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
        docs = snapshot.live
        for token in complete:
            docs &= self._postings("name", token, snapshot)
        completing = sum_bits(self._postings("name", SCHEMA["name"].from_bytes(btext), snapshot)
                              for btext in searcher.reader().expand_prefix("name", last))
        sold, ids = snapshot.col["sold"], snapshot.col["id"]
        best = heapq.nsmallest(max(limit * 5, 50), from_bits(docs & completing), key=lambda d: (-sold[d], ids[d]))
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
