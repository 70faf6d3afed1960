"""Redis goes away under a running app server and comes back: the shop keeps selling, rate
limits count in the process's memory meanwhile (with a warning in the log), the shared cache
is bypassed, nothing answers 500; when Redis is back both use it again.

The app runs in a process of its own (as a gunicorn worker would), because Flask-Limiter
keeps its storage on the one `limiter` object of the process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests import factories
from tests.factories import checkout_body

from .conftest import free_port

ROOT = Path(__file__).resolve().parents[2]

SERVER = r"""
import logging, sys
from werkzeug.serving import make_server
from marketplace import create_app
logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log; the app's logging as configured
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SEARCH_INDEX_DIR": sys.argv[3],
                  "MAIL_OUTBOX_DIR": sys.argv[4], "WTF_CSRF_ENABLED": False, "LOGIN_RATE_LIMIT": "3 per minute",
                  "CACHE_REDIS_RETRY_S": 1})
make_server("127.0.0.1", int(sys.argv[2]), app, threaded=True).serve_forever()
"""


class Server:
    def __init__(self, port: int, log: Path):
        self.base, self.log = f"http://127.0.0.1:{port}", log

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | str]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"} if data else {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw, kind = response.status, response.read(), response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            status, raw, kind = error.code, error.read(), error.headers.get_content_type()
        return status, json.loads(raw) if kind == "application/json" else raw.decode()

    def logged(self) -> str:
        return self.log.read_text()


@pytest.fixture
def server(app, redis_server, tmp_path):
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "REDIS_URL": redis_server.url, "PYTHONPATH": str(ROOT), "RATELIMIT_ENABLED": "1"}
    env.pop("RATELIMIT_STORAGE_URI", None)
    with log.open("w") as err:
        process = subprocess.Popen([sys.executable, "-c", SERVER, app.config["SQLALCHEMY_DATABASE_URI"], str(port),
                                    str(tmp_path / "index"), str(tmp_path / "outbox")],
                                   env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
    running = Server(port, log)
    deadline = time.monotonic() + 30
    while True:
        try:
            if running.call("GET", "/healthz")[0] == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("the app server did not start:\n" + log.read_text())
        time.sleep(0.1)
    yield running
    process.terminate()
    process.wait(10)


def sign_in_attempt(server) -> int:
    return server.call("POST", "/api/v1/auth/login", {"email": "nobody@example.vn", "password": "sai-mat-khau"})[0]


def limiter_keys(redis) -> list[bytes]:
    return [key for key in redis.keys("*") if not key.startswith(b"ocop:")]


def test_the_shop_sells_on_while_redis_is_away_and_uses_it_again_when_it_is_back(db, server, redis_server):
    redis = redis_server.client()
    item = factories.product(stock=10, price_vnd=80_000)
    assert server.call("GET", "/api/v1/products")[0] == 200
    assert sign_in_attempt(server) == 401
    assert redis.keys("ocop:cache:*") and limiter_keys(redis)  # both in Redis while it is up

    redis_server.stop()
    answers = [server.call("GET", "/api/v1/products")[0], server.call("GET", "/products")[0],
               server.call("GET", f"/api/v1/products/{item.id}")[0]]
    placed = server.call("POST", "/api/v1/checkout", checkout_body([(item, 2)]))
    assert answers == [200, 200, 200] and placed[0] == 201, placed
    # Limits go on, counted in this process's memory (afresh: the attempt made before is in Redis).
    assert [sign_in_attempt(server) for _ in range(4)] == [401, 401, 401, 429]
    log = server.logged()
    assert "Rate limit storage unreachable - falling back to in-memory storage" in log
    assert "cache: Redis unreachable" in log
    assert log.count("cache: Redis unreachable") == 1  # said once, not on every lookup
    assert "Traceback" not in log

    redis_server.start()  # empty, as after a restart
    deadline = time.monotonic() + 60  # Flask-Limiter tries its store again after 1, 2, 4 ... s
    while not (redis.keys("ocop:cache:*") and limiter_keys(redis)):
        assert time.monotonic() < deadline, server.logged()
        assert server.call("GET", "/api/v1/products?page=1")[0] == 200
        assert sign_in_attempt(server) in (401, 429)
        time.sleep(0.5)
    assert "cache: Redis reachable again" in server.logged()
    assert "Rate limit storage recovered" in server.logged()
    assert server.call("POST", "/api/v1/checkout", checkout_body([(item, 1)]))[0] == 201

    db.session.expire_all()
    assert db.session.get(type(item), item.id).stock == 7


def test_a_change_made_while_redis_was_unreachable_is_served_at_once_when_it_is_back(app, client, db, redis_server):
    """Redis keeps its data but the app cannot reach it (a network cut) while the catalogue
    changes: when it is reachable again, nothing cached under the old version is served."""
    from marketplace.cache import RedisCache
    from scripts.tcp_proxy import CuttableProxy

    proxy = CuttableProxy("127.0.0.1", redis_server.port).start()
    app.config["CACHE_ENABLED"] = True
    app.extensions["ocop_cache"] = RedisCache(f"redis://127.0.0.1:{proxy.port}/0", retry_s=0.2)
    try:
        factories.product("Trà hoa vàng")
        assert client.get("/api/v1/products").json["total"] == 1  # cached in Redis under this version
        assert redis_server.client().keys("ocop:version:*")

        proxy.cut()
        factories.product("Chả mực Hạ Long")  # the version bump cannot be published to Redis
        assert client.get("/api/v1/products").json["total"] == 2  # computed from the database
        proxy.restore()
        time.sleep(0.3)
        assert client.get("/api/v1/products").json["total"] == 2  # not the stale cached answer
        assert client.get("/api/v1/products").json["total"] == 2
    finally:
        app.config["CACHE_ENABLED"] = False
        app.extensions.pop("ocop_cache", None)
        proxy.stop()
