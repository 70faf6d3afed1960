"""The one search interface both backends implement.

`search(params)` answers a shop query (free text plus the browse filters and sort) with
one page of ranked product ids, the total, the facet counts over the whole result set
and, when the words matched nothing, a "did you mean" correction whose results it
returns instead (the fuzzy fallback). The matching rules, the same in both backends:

- every word must match (accent-insensitive; đ is d) in the name, the description, the
  producer's name, its commune/region or the category;
- the exact phrase scores above the same words apart, in the name above the description;
- an accented query scores accent-exact name matches first;
- the name outranks the description, which outranks producer, place and category;
  a product with every word in its name ranks above every product without (so a
  page is ranked from those alone when they fill it: the others are never scored).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .spelling import Corrector, PhraseIndex
from .text import folded_words, is_accented, words

MAX_QUERY_WORDS = 12

# What each rule adds to a match's score, in tenths of a point: integer sums are equal
# whatever the order they were added in, and SQL adds integers without numeric arithmetic.
W_NAME, W_DESCRIPTION, W_META = 30, 10, 6  # per word
W_PHRASE_NAME, W_PHRASE_DESCRIPTION = 120, 30
W_ACCENT_PHRASE, W_ACCENT_WORD = 160, 40  # accent-exact in the name


@dataclass
class Query:
    """Folded words (what must match) and, for an accented query, the accented words."""

    tokens: list[str]
    accented: list[str] | None = None

    @classmethod
    def parse(cls, text: str | None) -> "Query":
        tokens = folded_words(text)[:MAX_QUERY_WORDS]
        accented = words(text)[:MAX_QUERY_WORDS] if is_accented(text or "") else None
        return cls(tokens, accented)

    def __bool__(self) -> bool:
        return bool(self.tokens)


@dataclass
class SearchPage:
    ids: list[int]
    total: int
    facets: dict = field(default_factory=dict)
    suggestion: str | None = None
    corrected: bool = False  # results are those of the suggestion
    total_exact: bool = True  # False: `total` and `facets` are estimates past a count limit


class SearchBackend(ABC):
    name = "?"
    # True: sync.py writes changes inside the committing transaction (`write(session, ids)`);
    # False: it calls `apply(ids)` after the commit.
    transactional = False

    # -- reading ---------------------------------------------------------------------
    def search(self, params) -> SearchPage:
        """One page for `params` (a catalog.listing.BrowseParams with `q`)."""
        query = Query.parse(params.q)
        page = self._search(query, params)
        # Without filters an empty page already says the words match nothing.
        if page.total == 0 and (not _filtered(params) or not self._has_match(query.tokens)):
            corrected = self.correct(query.tokens)
            if corrected:
                page = self._search(Query(corrected), params)
                page.suggestion, page.corrected = " ".join(corrected), True
        return page

    def correct(self, tokens: list[str]) -> list[str] | None:
        """The query rewritten to the closest phrase the catalogue holds (spelling.py), if that matches."""
        if not tokens:
            return None
        return Corrector(self._phrase_indexes(tokens)).correct(tokens, self._has_match)

    @abstractmethod
    def _search(self, query: Query, params) -> SearchPage: ...

    @abstractmethod
    def _has_match(self, tokens: list[str]) -> bool:
        """Does any public product match all these words (ignoring filters)?"""

    @abstractmethod
    def _phrase_indexes(self, tokens: list[str]) -> list[PhraseIndex]:
        """Known phrases (names; producer, place and category per product) that may be close to tokens."""

    @abstractmethod
    def suggest(self, prefix: str, limit: int = 10) -> list[dict]:
        """Completions for a search box: [{id, slug, name}], accent-insensitive word prefix."""

    # -- writing ---------------------------------------------------------------------
    @abstractmethod
    def apply(self, product_ids: set[int]) -> None:
        """Make the index follow the database for these products (re-read; idempotent)."""

    @abstractmethod
    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the whole index from the database. Returns the number of documents."""

    @abstractmethod
    def exists(self) -> bool: ...

    @abstractmethod
    def is_complete(self) -> bool:
        """Has a full rebuild been done (or is there nothing to index)? `reindex --if-missing` asks."""

    @abstractmethod
    def doc_count(self) -> int: ...

    @abstractmethod
    def clear(self) -> None:
        """Empty the index (tests)."""

    @abstractmethod
    def health(self) -> dict:
        """{"ok": bool, "backend": name, ...}: reachable, present and in step with the DB."""

    def memory(self) -> dict | None:
        """{"tables_bytes", "shared_buffers_bytes"} where the index lives in a database server's
        shared memory (`flask search status` warns when it outgrows it); None otherwise."""
        return None


def _filtered(params) -> bool:
    return bool(params.stars or params.category or params.locality or params.producer is not None
                or params.price_min is not None or params.price_max is not None or params.in_stock is not None)


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
