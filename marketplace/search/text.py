"""Vietnamese text for search: folding, tokens, edit distance.

Folding lower-cases, strips the tone and vowel marks and maps đ/Đ to d (they do not
decompose under Unicode normalisation), so `banh da` and `Bánh đa` meet. Folding an
NFC string keeps its length, so character offsets in the folded text are offsets in
the original: the highlighter relies on that.
"""
from __future__ import annotations

import re
import unicodedata

from ..validators import fold_vietnamese

WORD = re.compile(r"\w+")


def nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "")


def fold(text: str | None) -> str:
    """Accent-free lower case, same length as `nfc(text)`."""
    return fold_vietnamese(nfc(text))


def words(text: str | None) -> list[str]:
    """Accented lower-case words."""
    return WORD.findall(nfc(text).lower())


def folded_words(text: str | None) -> list[str]:
    return WORD.findall(fold(text))


def padded(tokens: list[str]) -> str:
    """' w1 w2 w3 ': a phrase is then a plain substring test (`' mat ong ' in ...`)."""
    return " " + " ".join(tokens) + " " if tokens else " "


def is_accented(query: str) -> bool:
    """Did the shopper type any Vietnamese marks (so accent-exact matches rank first)?"""
    lowered = nfc(query).lower()
    return fold(lowered) != lowered


def within_distance(a: str, b: str, maxdist: int) -> int | None:
    """Edit distance of a and b (a swap of neighbours counts one) if at most `maxdist`, else None."""
    if abs(len(a) - len(b)) > maxdist:
        return None
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, rows[-2][j - 2] + 1)
            row.append(cost)
        if min(row) > maxdist:
            return None
        rows = [rows[-1], row]
    distance = rows[-1][-1]
    return distance if distance <= maxdist else None
