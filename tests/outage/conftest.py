"""Outages under a running app: its database taken away and given back, its Redis stopped
and started again.

`outage_app` is an app of its own over the suite's database, built so that a test can take
that database away from it and nothing else:

- PostgreSQL: the app reaches the server through `scripts/tcp_proxy.py`; cutting the proxy
  resets every open connection and refuses new ones, as a restart of the server does.
- SQLite: the app's database file lives in a directory of its own; cutting moves the
  directory away (a lost mount: the file cannot be opened) and closes the connections the
  app holds open, as a new worker would start without them.

Both keep the real database, the real driver and the app's real pool: only the path
between them is broken. `redis_server` is a `redis-server` the test runs on a free port and
can stop and start again on the same port.
"""
from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from marketplace import create_app
from marketplace.extensions import db as _db
from scripts.tcp_proxy import CuttableProxy
from tests.conftest import empty_tables, new_client
from tests.payments.helpers import ACCOUNT_NO, CASSO_KEY, SEPAY_KEY, STRIPE_WHSEC


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresPath:
    """The app -> PostgreSQL path through a proxy the test can cut."""

    def __init__(self, url: str):
        real = make_url(url)
        self.proxy = CuttableProxy(real.host or "127.0.0.1", real.port or 5432).start()
        self.url = real.set(host="127.0.0.1", port=self.proxy.port).render_as_string(hide_password=False)

    def cut(self, app) -> None:
        self.proxy.cut()

    def restore(self) -> None:
        self.proxy.restore()

    def close(self) -> None:
        self.proxy.stop()


class SqlitePath:
    """The app's SQLite file in a directory that can disappear."""

    def __init__(self, session_url: str, root):
        self.directory = root / "database"
        self.away = root / "database.away"
        self.directory.mkdir()
        # A copy of the suite's migrated (empty) database: no second run of the migrations.
        source = sqlite3.connect(make_url(session_url).database)
        target = sqlite3.connect(self.directory / "outage.db")
        source.backup(target)
        source.close()
        target.close()
        self.url = f"sqlite:///{self.directory / 'outage.db'}"

    def cut(self, app) -> None:
        os.rename(self.directory, self.away)
        close_connections(app)

    def restore(self) -> None:
        if self.away.exists():
            os.rename(self.away, self.directory)

    def close(self) -> None:
        self.restore()


def close_connections(app) -> None:
    """Close every connection the app's pools hold (the main pool and the version pool)."""
    with app.app_context():
        _db.session.remove()
        for engine in _db.engines.values():
            engine.dispose()
        version = app.extensions.get("ocop_version_engine")
        if version is not None:
            version.dispose()


class Database:
    def __init__(self, app, path):
        self.app, self.path = app, path

    def cut(self) -> None:
        self.path.cut(self.app)

    def restore(self) -> None:
        self.path.restore()

    @property
    def dialect(self) -> str:
        return make_url(self.path.url).get_backend_name()


@pytest.fixture(scope="module")
def outage_database(app, tmp_path_factory):
    root = tmp_path_factory.mktemp("outage")
    session_url = app.config["SQLALCHEMY_DATABASE_URI"]
    path = PostgresPath(session_url) if session_url.startswith("postgresql") else SqlitePath(session_url, root)
    outage = create_app({
        "SQLALCHEMY_DATABASE_URI": path.url,
        # Errors are answered as in production (a 500 is a status code, not a raised exception).
        "TESTING": False,
        "PROPAGATE_EXCEPTIONS": False,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        # Its checkouts come from one contact, far beyond the limits on unpaid orders.
        "UNPAID_ORDERS_PER_PHONE": 0, "UNPAID_ORDERS_PER_EMAIL": 0, "UNPAID_ORDERS_PER_CLIENT": 0,
        "UNPAID_UNITS_PER_PRODUCT": 0,
        "SEARCH_INDEX_DIR": str(root / "search-index"),
        "UPLOAD_DIR": str(root / "uploads"),
        "MAIL_OUTBOX_DIR": str(root / "outbox"),
        "SERVER_NAME": "localhost",
        "SEPAY_API_KEY": SEPAY_KEY, "CASSO_CHECKSUM_KEY": CASSO_KEY, "STRIPE_WEBHOOK_SECRET": STRIPE_WHSEC,
        "VIETQR_ACCOUNT_NO": ACCOUNT_NO,
    })
    database = Database(outage, path)
    yield database
    path.restore()
    close_connections(outage)
    path.close()


@pytest.fixture
def database(outage_database):
    """The outage app's database, reachable at the start of each test and emptied after it."""
    yield outage_database
    outage_database.restore()
    empty_tables(outage_database.app)


@pytest.fixture
def outage_app(database):
    return database.app


@pytest.fixture
def api(outage_app):
    return new_client(outage_app)


@pytest.fixture
def within(outage_app):
    """`with within(): ...` runs code (factories, reads) in the outage app's context."""
    from contextlib import contextmanager

    @contextmanager
    def context():
        with outage_app.test_request_context():
            try:
                yield _db
            finally:
                _db.session.remove()

    return context


class RedisServer:
    """A private redis-server that a test stops and starts again on the same port."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def client(self):
        import redis

        return redis.Redis(port=self.port)


@pytest.fixture
def redis_server():
    server = RedisServer()
    if server.binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server.start()
    yield server
    server.stop()


def counts(db) -> dict:
    """Orders, units sold, stock left, paid sum: the figures an outage must leave whole."""
    one = lambda sql: db.session.execute(sa.text(sql)).scalar_one()  # noqa: E731
    return {
        "orders": one("SELECT count(*) FROM orders"),
        "units": one("SELECT coalesce(sum(quantity), 0) FROM order_lines"),
        "stock": one("SELECT coalesce(sum(stock), 0) FROM products"),
        "orders_without_lines": one("SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_parts p "
                                    "JOIN order_lines l ON l.part_id = p.id WHERE p.order_id = o.id)"),
        "ledger": one("SELECT coalesce(sum(amount_vnd), 0) FROM payment_ledger WHERE kind = 'payment'"),
        "ledger_entries": one("SELECT count(*) FROM payment_ledger"),
    }
