"""The configured search backend of an app (a module of its own so that the package's
wiring, the index sync and the CLI read it without importing the package itself)."""
from __future__ import annotations

from flask import Flask, current_app

from .base import SearchBackend

BACKENDS = ("whoosh", "postgres")


def get_backend(app: Flask | None = None) -> SearchBackend:
    """The configured backend of this app (one instance per app and setting)."""
    app = app or current_app._get_current_object()
    name = app.config.get("SEARCH_BACKEND") or "whoosh"
    cache = app.extensions.setdefault("search_backends", {})
    key = (name, app.config.get("SEARCH_INDEX_DIR"))
    backend = cache.get(key)
    if backend is None:
        if name == "whoosh":
            from .whoosh_backend import WhooshBackend

            backend = WhooshBackend(app.config["SEARCH_INDEX_DIR"])
        elif name == "postgres":
            from .postgres_backend import PostgresBackend

            backend = PostgresBackend()
        else:
            raise RuntimeError(f"SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
        cache[key] = backend
    return backend
