"""The one search interface both backends implement.

`search(params)` answers a shop query (free text plus the browse filters and sort) with
one page of ranked product ids, the total, the facet counts over the whole result set
and, when the words matched nothing, a "did you mean" correction whose results it
returns instead (the fuzzy fallback). The matching rules, the same in both backends:

- every word must match (accent-insensitive; đ is d) in the name, the description, the
  producer's name, its commune/region or the category;
- the exact phrase scores above the same words apart, in the name above the description;
- an accented query scores accent-exact name matches first;
- the name outranks the description, which outranks producer, place and category.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .text import folded_words, is_accented, within_distance, words

MAX_QUERY_WORDS = 12
MAX_CORRECTION_PROBES = 12


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
        if page.total == 0 and not self._has_match(query.tokens):
            corrected = self.correct(query.tokens)
            if corrected:
                page = self._search(Query(corrected), params)
                page.suggestion, page.corrected = " ".join(corrected), True
        return page

    def correct(self, tokens: list[str]) -> list[str] | None:
        """The query with one word in three (at least one) replaced by a close word, if that matches.

        Close: edit distance 1, or 2 for words over five letters; words under three letters
        are never guessed (too many Vietnamese syllables are one letter apart).
        """
        if not tokens:
            return None
        max_changes = max(1, len(tokens) // 3)
        unknown = [i for i, t in enumerate(tokens) if not self._known(t)]
        if len(unknown) > max_changes:
            return None
        candidates = {i: self._ranked_candidates(tokens[i]) for i in (unknown or range(len(tokens)))}
        if any(not candidates[i] for i in unknown):
            return None
        fixed = list(tokens)
        for i in unknown:
            fixed[i] = candidates[i][0]
        probes = 0
        if unknown:
            probes += 1
            if self._has_match(fixed):
                return fixed
        # Other close words, one position at a time: a typo may also produce a real word.
        for i in candidates:
            for candidate in candidates[i][:4]:
                if candidate == fixed[i]:
                    continue
                trial = fixed[:i] + [candidate] + fixed[i + 1:]
                probes += 1
                if self._has_match(trial):
                    return trial
                if probes >= MAX_CORRECTION_PROBES:
                    return None
        return None

    def _ranked_candidates(self, token: str) -> list[str]:
        if len(token) < 3 or token.isdigit():
            return []
        maxdist = 1 if len(token) <= 5 else 2
        scored = []
        for term, frequency in self._candidates(token, maxdist):
            distance = within_distance(token, term, maxdist)
            if distance:
                scored.append((distance, -frequency, term))
        return [term for _, _, term in sorted(scored)]

    @abstractmethod
    def _search(self, query: Query, params) -> SearchPage: ...

    @abstractmethod
    def _has_match(self, tokens: list[str]) -> bool:
        """Does any public product match all these words (ignoring filters)?"""

    @abstractmethod
    def _known(self, token: str) -> bool:
        """Is this folded word in the indexed vocabulary?"""

    @abstractmethod
    def _candidates(self, token: str, maxdist: int) -> Iterable[tuple[str, int]]:
        """Vocabulary words that may be within `maxdist` edits of token, with a frequency."""

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
