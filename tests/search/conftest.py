"""Search tests run against every backend available on the test database.

Whoosh runs everywhere; the PostgreSQL backend only when DATABASE_URL is PostgreSQL.
"""
from __future__ import annotations

import os
from contextlib import contextmanager

import pytest

from marketplace.search import get_backend

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
BACKENDS = ["whoosh", "postgres"] if ON_POSTGRES else ["whoosh"]


@pytest.fixture(params=BACKENDS)
def backend(request, app, db):
    """The named backend, configured for the app for the duration of the test, empty."""
    with using(app, request.param) as backend:
        backend.clear()
        yield backend


@contextmanager
def using(app, name: str):
    """The named backend, configured for the app while the block runs."""
    previous = app.config["SEARCH_BACKEND"]
    app.config["SEARCH_BACKEND"] = name
    try:
        yield get_backend()
    finally:
        app.config["SEARCH_BACKEND"] = previous


@pytest.fixture
def whoosh(db, app):
    with using(app, "whoosh") as backend:
        yield backend
