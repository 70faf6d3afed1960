"""Spelling correction from whole known phrases, not single-word edits.

A query that matches nothing is compared with the phrases the catalogue really holds:
product names and, per product, its producer, place and category names (folded). The
correction is the closest run of consecutive words of one of those phrases (few letter
edits in total, then the most frequent), so `tra hao vang` becomes `tra hoa vang` (a
name) and never a mix of unrelated close words such as `tra hai vang`. A query that no
single phrase covers (`mat ogn rung ha long`: a name, then a place) is corrected piece
by piece, longest known run first. Telex leftovers (`traf hoa vangf`, `ddaau`) are
turned into the folded word first when that word is known.

Backends supply the phrases: Whoosh from its index segments (cached per segment),
PostgreSQL from the rows a trigram index finds close to the query.
"""
from __future__ import annotations

from collections import Counter
from typing import Callable, Iterable

from .text import within_distance

TONE_KEYS = "sfrxj"
TELEX = (("dd", "d"), ("aa", "a"), ("aw", "a"), ("ee", "e"), ("oo", "o"), ("ow", "o"), ("uw", "u"), ("w", "u"))
MAX_WINDOWS = 4000  # windows compared per pair of start words
MAX_RUNS_CACHED = 4096  # (pair, size) entries a PhraseIndex keeps


def max_edits(word: str) -> int:
    """Letter edits tolerated in one word: none under three letters (too many Vietnamese
    syllables are one letter apart), two over five."""
    if len(word) < 3 or word.isdigit():
        return 0
    return 1 if len(word) <= 5 else 2


def _deletes(word: str, depth: int) -> set[str]:
    found, frontier = {word}, {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


class PhraseIndex:
    """Folded phrases (deduplicated, with counts), where each word occurs, and a
    deletion index of the words (close words without comparing the whole vocabulary)."""

    def __init__(self, texts: Iterable[str]):
        ids: dict[tuple, int] = {}
        self.phrases: list[tuple[str, ...]] = []
        self.counts: list[int] = []
        self.frequency: Counter = Counter()  # phrases (with repeats) holding each word
        self.pairs: dict[tuple[str, str], list[tuple[int, int]]] = {}  # where each two-word run starts
        for text in texts:
            words = tuple(text.split())
            if not words:
                continue
            self.frequency.update(set(words))
            pid = ids.get(words)
            if pid is not None:
                self.counts[pid] += 1
                continue
            pid = ids[words] = len(self.phrases)
            self.phrases.append(words)
            self.counts.append(1)
            for position, pair in enumerate(zip(words, words[1:])):
                self.pairs.setdefault(pair, []).append((pid, position))
        self._runs: dict[tuple, dict[tuple[str, ...], int]] = {}
        self.deletes: dict[str, set[str]] = {}
        for word in self.frequency:
            for key in _deletes(word, max_edits(word)):
                self.deletes.setdefault(key, set()).add(word)

    def runs(self, pair: tuple[str, str], size: int) -> dict[tuple[str, ...], int]:
        """{run: phrases holding it} for the distinct runs of `size` words starting with `pair`
        (many phrases share a run: each is compared with a query once, not once per phrase)."""
        key = (pair, size)
        found = self._runs.get(key)
        if found is None:
            found = {}
            for pid, position in self.pairs.get(pair, ())[:MAX_WINDOWS]:
                run = self.phrases[pid][position:position + size]
                if len(run) == size:
                    found[run] = found.get(run, 0) + self.counts[pid]
            if len(self._runs) >= MAX_RUNS_CACHED:
                self._runs.clear()
            self._runs[key] = found
        return found

    def close_words(self, word: str) -> set[str]:
        """Known words that may be within max_edits of `word` (checked by the caller)."""
        if not max_edits(word):
            return {word} if word in self.frequency else set()
        found: set[str] = set()
        for key in _deletes(word, max_edits(word)):
            found |= self.deletes.get(key, set())
        return found


class Corrector:
    """Finds the closest known phrase run for a query over some PhraseIndexes."""

    def __init__(self, indexes: list[PhraseIndex]):
        self.indexes = indexes
        self._distances: dict[tuple[str, str], int | None] = {}
        self._windows: dict[tuple[str, ...], list] = {}

    def known(self, word: str) -> bool:
        return any(word in index.frequency for index in self.indexes)

    def distance(self, typed: str, word: str) -> int | None:
        if typed == word:
            return 0
        key = (typed, word)
        if key not in self._distances:
            self._distances[key] = within_distance(typed, word, max_edits(typed)) if max_edits(typed) else None
        return self._distances[key]

    def untelex(self, word: str) -> str:
        """`traf` -> `tra`, `ddaau` -> `dau` when the result is a known word and `word` is not."""
        if self.known(word):
            return word
        variants = []
        stripped = word[:-1] if len(word) > 2 and word[-1] in TONE_KEYS else word
        for base in dict.fromkeys((stripped, word)):
            plain = base
            for pair, letter in TELEX:
                plain = plain.replace(pair, letter)
            variants += [base, plain]
        return next((v for v in variants if v != word and self.known(v)), word)

    def windows(self, segment: list[str]) -> list[tuple[int, int, tuple[str, ...]]]:
        """Runs of len(segment) words of known phrases close to the segment: (edits, -count, run), best first."""
        key = tuple(segment)
        if key not in self._windows:
            self._windows[key] = self._find_windows(segment)
        return self._windows[key]

    def _close(self, index: PhraseIndex, typed: str) -> list[tuple[str, int]]:
        found = ((word, self.distance(typed, word)) for word in index.close_words(typed))
        return [(word, edits) for word, edits in found if edits is not None]

    def _find_windows(self, segment: list[str]) -> list[tuple[int, int, tuple[str, ...]]]:
        size = len(segment)
        budget = max(max_edits(segment[0]) if size == 1 else 1, 1 + (size - 1) // 2)
        found: dict[tuple[str, ...], list[int]] = {}
        for index in self.indexes:
            if size == 1:
                for word, edits in self._close(index, segment[0]):
                    entry = found.setdefault((word,), [edits, 0])
                    entry[1] += index.frequency[word]
                continue
            for first, first_edits in self._close(index, segment[0]):
                for second, second_edits in self._close(index, segment[1]):
                    if first_edits + second_edits > budget:
                        continue
                    for run, count in index.runs((first, second), size).items():
                        edits = first_edits + second_edits
                        for typed, word in zip(segment[2:], run[2:]):
                            step = self.distance(typed, word)
                            if step is None or edits + step > budget:
                                edits = None
                                break
                            edits += step
                        if edits is not None:
                            entry = found.setdefault(run, [edits, 0])
                            entry[1] += count
        return sorted((edits, -count, run) for run, (edits, count) in found.items())

    def correct(self, tokens: list[str], has_match: Callable[[list[str]], bool]) -> list[str] | None:
        """The corrected words if they differ from `tokens` and match something, else None."""
        if not tokens:
            return None
        words = [self.untelex(t) for t in tokens]
        if words != tokens and has_match(words):
            return words
        for edits, _, run in self.windows(words)[:3]:  # the whole query as one known phrase
            if edits and list(run) != tokens and has_match(list(run)):
                return list(run)
        pieced, start = [], 0
        while start < len(words):  # else piece by piece, the longest known run first
            for end in range(len(words), start, -1):
                best = self.windows(words[start:end])
                if best:
                    pieced += best[0][2]
                    start = end
                    break
            else:
                return None
        if pieced != tokens and has_match(pieced):
            return pieced
        return None
