"""Product search: one small interface, two backends chosen by SEARCH_BACKEND.

- `whoosh` (default): an embedded index under SEARCH_INDEX_DIR (one machine).
- `postgres`: PostgreSQL full-text search over folded text, pg_trgm for
  completion (several app servers sharing one database).

Callers use `get_backend()`: `search(params)`, `suggest(q)`, `health()`; the index
follows the database through session events (marketplace.search.sync) and is rebuilt
by `flask search reindex`. Pages and API never know which backend answers.
"""
from __future__ import annotations

from flask import Flask

from .backend import BACKENDS, get_backend  # noqa: F401
from .base import Query, SearchBackend, SearchPage  # noqa: F401


def text_search(params) -> SearchPage | None:
    """The catalogue's free-text search: one page for `params` (a catalog.listing.BrowseParams),
    or None when `params.q` holds no word to look for (the listing then browses as usual)."""
    if not Query.parse(params.q):
        return None
    return get_backend().search(params)


def init_app(app: Flask) -> None:
    from ..catalog.listing import TEXT_SEARCH
    from . import sync
    from .highlight import highlight, snippet

    if app.config.get("SEARCH_BACKEND", "whoosh") not in BACKENDS:
        raise RuntimeError(f"SEARCH_BACKEND must be one of {', '.join(BACKENDS)}")
    # The catalogue asks for free text through this hook: it must not import search (search
    # depends on the catalogue).
    app.extensions[TEXT_SEARCH] = text_search
    sync.listen()
    app.jinja_env.filters["highlight"] = highlight
    app.jinja_env.filters["snippet"] = snippet
