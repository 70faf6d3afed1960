"""Test harness: one schema per run built by the real migrations, clean tables per test.

SQLite by default (a file in a temporary directory). With DATABASE_URL set the suite
runs on that database instead; its name must start with "test" because the schema
is dropped and rebuilt at the start of the run.
"""
from __future__ import annotations

import contextvars
import os
import shutil
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from marketplace import create_app
from marketplace.config import normalise_database_url
from marketplace.extensions import db as _db
from marketplace.i18n import compile_catalogs
from tests.stripe_stub import UNREACHABLE_API_BASE, CheckoutTransport


def _database_url(tmp_root) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_root / 'test.db'}"
    url = normalise_database_url(url)
    name = make_url(url).database or ""
    if not os.path.basename(name).startswith("test"):
        raise pytest.UsageError(f"refusing to run tests against database {name!r}: its name must start with 'test'")
    return url


def _reset_schema(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
            else:
                for (name,) in conn.execute(sa.text(
                        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")).all():
                    conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("marketplace")
    url = _database_url(root)
    _reset_schema(url)
    compile_catalogs()
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        # Many tests place order after order for one contact; the hold limits' own tests
        # (tests/hardening/test_hold_limits.py) switch them on.
        "UNPAID_ORDERS_PER_PHONE": 0, "UNPAID_ORDERS_PER_EMAIL": 0, "UNPAID_ORDERS_PER_CLIENT": 0,
        "UNPAID_UNITS_PER_PRODUCT": 0,
        # Shared-cache hits would make query counts depend on test order; the caching
        # tests (tests/perf) switch it on.
        "CACHE_ENABLED": False,
        "HTTP_CACHE_ENABLED": False,
        "SEARCH_INDEX_DIR": str(root / "search-index"),
        "UPLOAD_DIR": str(root / "uploads"),
        "MAIL_OUTBOX_DIR": str(root / "outbox"),
        "SERVER_NAME": "localhost",
        # Card payments work in every test without the network (see tests/stripe_stub.py).
        "STRIPE_SECRET_KEY": "sk_test_stub",
        "STRIPE_API_BASE": UNREACHABLE_API_BASE,
        "STRIPE_HTTP_CLIENT": CheckoutTransport(),
    })
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app
    with app.app_context():
        _db.engine.dispose()


def empty_tables(app) -> None:
    """Delete every row of every table and the search index (a module that shares data between
    its tests calls it at the end)."""
    index_dir = app.config.get("SEARCH_INDEX_DIR")
    if index_dir and os.path.isdir(index_dir):
        shutil.rmtree(index_dir)
    with app.app_context():
        _db.session.remove()
        tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
        with _db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(sa.text(f'DELETE FROM "{table}"'))


@pytest.fixture(autouse=True)
def _clean_tables(request, app):
    """Every test starts with empty tables and no search index (and leaves them so for the next)."""
    yield
    empty_tables(app)


@pytest.fixture(autouse=True)
def _fresh_globals_per_request(app):
    """The `db`/`ctx` fixtures keep an application context open and Flask reuses it for test-client
    requests, so `g` (Flask-Login's cached user, Flask-Babel's locale, per-request caches) would
    leak from one request to the next, even across clients. Start every request with an empty
    `g`, as a fresh application context would in production."""
    from flask import g, request_started
    from flask_babel import refresh as refresh_locale

    def forget(sender, **_extra):
        for name in list(g):
            g.pop(name, None)
        refresh_locale()

    request_started.connect(forget, app)
    yield
    request_started.disconnect(forget, app)


HOLD_LIMITS = ("UNPAID_ORDERS_PER_PHONE", "UNPAID_ORDERS_PER_EMAIL", "UNPAID_ORDERS_PER_CLIENT",
               "UNPAID_UNITS_PER_PRODUCT")


@pytest.fixture
def hold_limits(app):
    """The limits on unpaid orders at their shipped defaults (the suite's app switches them off)."""
    from marketplace.config import Config

    defaults = Config(app.instance_path)
    saved = {name: app.config[name] for name in HOLD_LIMITS}
    app.config.update({name: getattr(defaults, name) for name in HOLD_LIMITS})
    yield app.config
    app.config.update(saved)


@pytest.fixture
def ctx(app):
    """An application context with a request context, for calling services directly."""
    with app.test_request_context():
        yield app
        _db.session.remove()


@pytest.fixture
def db(ctx):
    return _db


class IsolatedClient(FlaskClient):
    """The one test client: each request runs in a fresh context, as in production: its own
    app context, `g` (where Flask-Login caches the user and Flask-Babel the locale) and
    database session, even while a test holds an app context (the `db`/`ctx` fixtures) that
    Flask would otherwise reuse. Data a request wrote is read back in the test after
    `db.session.rollback()` (or `expire_all()`)."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def new_client(app, cookies: bool = True) -> IsolatedClient:
    """A client with a cookie jar of its own (another browser, another user); `cookies=False`
    for one that keeps none (an API caller). The suite makes every client this way."""
    return IsolatedClient(app, app.response_class, use_cookies=cookies)


def signed_in(app, user, remember: bool = False) -> IsolatedClient:
    """A new client signed in as `user` through the sign-in API, as a browser signs in."""
    from tests.factories import PASSWORD

    client = new_client(app)
    response = client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD,
                                                       "remember": remember})
    assert response.status_code == 200, response.get_data(as_text=True)
    return client


@pytest.fixture
def client(app):
    return new_client(app)


@pytest.fixture
def other_client(app):
    """A second client with its own cookies (e.g. another user, or a Bearer-only app)."""
    return new_client(app)


@pytest.fixture
def web(app):
    """A browser-like client for HTML pages (the same kind as `client`, with cookies of its own:
    the name reads better in the page tests, and a test may use both)."""
    return new_client(app)


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __len__(self):
        return len(self.statements)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_queries(engine=sa.engine.Engine):
    """Statements run on `engine`; by default on every engine (the app's, and the small
    pool that reads the catalogue version), so no round trip escapes the count."""
    counter = QueryCounter()

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "PRAGMA")):
            counter.statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def query_counter(app):
    """Usage: `with query_counter() as q: ...; assert q.count == N`."""
    def make():
        return count_queries()

    return make


@contextmanager
def rate_limits_on(app, **settings):
    """Rate limits switched on with these settings (e.g. LOGIN_RATE_LIMIT="3 per minute"),
    fresh counters, and everything as it was afterwards."""
    from marketplace.extensions import limiter

    saved = {key: app.config.get(key) for key in ("RATELIMIT_ENABLED", *settings)}
    app.config.update(RATELIMIT_ENABLED=True, **settings)
    limiter.reset()
    try:
        yield
    finally:
        app.config.update(saved)
        limiter.reset()
