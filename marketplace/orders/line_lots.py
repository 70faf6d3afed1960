"""Which lots the lines of shipped parts came from (API.md: order lines' `lots`).

Traceability records them and provides the lookup (`provide`); orders never imports it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

SHOWN_FOR = ("shipped", "delivered")
_lookup: Callable[[list[int]], dict[int, list[dict]]] | None = None


def provide(lookup: Callable[[list[int]], dict[int, list[dict]]]) -> None:
    global _lookup
    _lookup = lookup


def for_parts(parts: Iterable) -> dict[int, list[dict]]:
    """{line_id: [{id, code, quantity, passport_url}]} for the shipped parts' lines; one query,
    none when nothing has shipped."""
    line_ids = [line.id for part in parts if part.status in SHOWN_FOR for line in part.lines]
    if not line_ids or _lookup is None:
        return {}
    return _lookup(line_ids)
