"""Highlighted matches for the results page (Jinja filters `highlight` and `snippet`).

Backend-independent: the query's words are found in the folded text, whose character
offsets are those of the original (see text.fold), and the original is marked up.
"""
from __future__ import annotations

import re

from markupsafe import Markup, escape

from .text import fold, folded_words, nfc


def _spans(text: str, query: str) -> list[tuple[int, int]]:
    tokens = sorted(set(folded_words(query)), key=len, reverse=True)
    if not tokens or not text:
        return []
    folded = fold(text)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in tokens) + r")(?!\w)")
    return [m.span() for m in pattern.finditer(folded)]


def _mark(text: str, spans, start: int = 0, end: int | None = None) -> Markup:
    end = len(text) if end is None else end
    out, pos = [], start
    for a, b in spans:
        if b <= start or a >= end:
            continue
        out.append(escape(text[pos:a]))
        out.append(Markup("<mark>") + escape(text[a:b]) + Markup("</mark>"))
        pos = b
    out.append(escape(text[pos:end]))
    return Markup("").join(out)


def highlight(text: str | None, query: str | None) -> Markup:
    """The whole text, escaped, with every matched word in <mark> (accent-insensitive)."""
    text = nfc(text)
    return _mark(text, _spans(text, query or ""))


def snippet(text: str | None, query: str | None, width: int = 160) -> Markup:
    """About `width` characters of text around the first match, highlighted."""
    text = nfc(text)
    spans = _spans(text, query or "")
    if len(text) <= width:
        return _mark(text, spans)
    first = spans[0][0] if spans else 0
    start = max(0, first - width // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return (Markup("… ") if start else Markup("")) + _mark(text, spans, start, end) + (
        Markup(" …") if end < len(text) else Markup(""))
