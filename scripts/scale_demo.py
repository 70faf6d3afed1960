#!/usr/bin/env python3
"""Scale-out, shown on one machine: two app servers behind HAProxy over one PostgreSQL, Redis and S3.

    make scale-demo                                   # S3-compatible storage (moto's server on loopback)
    make scale-demo SCALE_ARGS=--shared-dir           # a shared upload directory instead
    make scale-demo SCALE_ARGS="--rate 30 --seconds 60"

Starts two gunicorn servers (2 workers each) on loopback ports 5811 and 5812 (`--port-base`),
exactly as two machines behind a load balancer would run them: same DATABASE_URL (a dedicated
database, `scale_demo`, rebuilt by the migrations and seeded), SEARCH_BACKEND=postgres, the
same REDIS_URL (rate limits and the shared cache), the same upload storage (moto's S3 server
on 5813), and Debian's HAProxy in front of both on 5810 (`make lb-deps` installs it). Then checks:

1. a product edited through server A is found by search on server B at once;
2. the sign-in rate limit counts attempts made on both servers together;
3. a checkout race spread over both servers never sells more than the stock;
4. a photo uploaded through server A is served by server B;
5. a page cached on B is invalidated by an edit on A (the ETag changes at once);
6. a fixed-rate, open-loop mix (browse, search, product pages, cart, checkout, bank
   notifications; scripts/scale_load.py) through HAProxy, during which server A is killed
   with SIGKILL and started again: per-endpoint rate, p95 and errors; orders placed vs paid
   vs stock sold, which must agree exactly; and whether any request failed other than those
   in flight on A when it died.

Exits non-zero when a check fails. Everything runs on 127.0.0.1 and stops by itself.
"""
from __future__ import annotations

import argparse
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
LOGIN_LIMIT = 5
SELLER_EMAIL, SELLER_PASSWORD = "nguoiban@scale-demo.vn", "mat-khau-demo-123"


from bench.run import free_port  # noqa: E402


def say(message: str) -> None:
    print(message, flush=True)


# --- infrastructure -----------------------------------------------------------------------

def fresh_database(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


@contextmanager
def redis_server(db_number: int):
    """The Redis on 127.0.0.1:6379 when it answers (database `db_number`, emptied), else a private one."""
    import redis

    try:
        client = redis.Redis(port=6379, db=db_number, socket_connect_timeout=1)
        client.ping()
        client.flushdb()
        yield f"redis://127.0.0.1:6379/{db_number}"
        client.flushdb()
        return
    except redis.ConnectionError:
        pass
    binary = shutil.which("redis-server")
    if not binary:
        sys.exit("Redis is needed: `apt-get install redis-server` (or run one on 127.0.0.1:6379).")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                redis.Redis(port=port).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/{db_number}"
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def s3_server(port: int = 0):
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per S3 call would bury the report
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    settings = {"STORAGE_BACKEND": "s3", "S3_BUCKET": "ocop-scale-demo", "S3_ENDPOINT_URL": endpoint,
                "AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo-secret", "S3_REGION": "us-east-1"}
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="demo",
                 aws_secret_access_key="demo-secret").create_bucket(Bucket=settings["S3_BUCKET"])
    try:
        yield settings
    finally:
        server.stop()


def flask(env: dict, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


# --- HTTP -----------------------------------------------------------------------------------

def call(method: str, url: str, body=None, token: str | None = None, headers: dict | None = None,
         raw: bytes | None = None, content_type: str | None = None, opener=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if content_type:
        request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=60) as response:
            payload = response.read()
            return response.status, payload, dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


class Browser:
    """A shopper's client: keeps the session cookie and sends the CSRF token, as the site's
    pages do. `ip` is the client address the load balancer reports (X-Forwarded-For)."""

    def __init__(self, ip: str):
        import http.cookiejar

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.headers = {"X-Forwarded-For": ip}

    def csrf(self, server: str) -> None:
        status, body, _ = call("GET", server + "/api/v1/auth/csrf", headers=self.headers, opener=self.opener)
        self.headers["X-CSRFToken"] = json.loads(body)["csrf_token"]

    def post(self, url: str, body: dict):
        return call("POST", url, body, headers=self.headers, opener=self.opener)


def as_json(payload: bytes):
    return json.loads(payload) if payload else None


def multipart(field: str, filename: str, data: bytes, content_type: str) -> tuple[bytes, str]:
    boundary = "----ocop-scale-demo"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def photo() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (180, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


# --- the checks -------------------------------------------------------------------------------

class Demo:
    def __init__(self, a: str, b: str, env: dict):
        self.a, self.b, self.env = a, b, env
        self.failures: list[str] = []

    def check(self, ok: bool, label: str, detail: str = "") -> None:
        say(f"  [{'PASS' if ok else 'FAIL'}] {label}" + (f" ({detail})" if detail else ""))
        if not ok:
            self.failures.append(label)

    def seller_token(self) -> tuple[str, dict]:
        status, body, _ = call("POST", self.a + "/api/v1/auth/tokens",
                               {"email": SELLER_EMAIL, "password": SELLER_PASSWORD, "name": "scale-demo"},
                               headers={"X-Forwarded-For": "192.0.2.200"})
        if status != 201:
            raise SystemExit(f"could not get a seller token: {status} {body[:300]!r}")
        token = as_json(body)["token"]
        status, body, _ = call("GET", self.a + "/api/v1/seller/products?per_page=1", token=token)
        return token, as_json(body)["items"][0]

    def search_follows_edits(self, token: str, product: dict) -> None:
        say("1. Edit on A, search on B")
        word = "Sâmdứa"  # a made-up word no seed product has
        name = f"{product['name']} {word}"
        status, body, _ = call("PATCH", f"{self.a}/api/v1/seller/products/{product['id']}", {"name": name},
                               token=token)
        self.check(status == 200, "product renamed through server A", f"HTTP {status}")
        status, body, _ = call("GET", self.b + "/api/v1/products?q=" + urllib.parse.quote("samdua"))
        found = as_json(body) if status == 200 else {}
        ids = [item["id"] for item in found.get("items", [])]
        self.check(status == 200 and ids[:1] == [product["id"]] and found.get("total") == 1,
                   "server B finds it at once by the new word, typed without accents",
                   f"HTTP {status}, total {found.get('total')}, first ids {ids[:3]}")

    def shared_rate_limit(self) -> None:
        say(f"2. Sign-in rate limit ({LOGIN_LIMIT} per minute per client) across A and B")
        shopper, other = Browser("203.0.113.7"), Browser("198.51.100.9")
        shopper.csrf(self.a)  # the session cookie and its token work on both servers (same SECRET_KEY)
        codes = []
        for attempt in range(LOGIN_LIMIT + 2):
            server = (self.a, self.b)[attempt % 2]
            status, _, _ = shopper.post(server + "/api/v1/auth/login",
                                        {"email": "khong-co@scale-demo.vn", "password": "sai-mat-khau"})
            codes.append(status)
        expected = [401] * LOGIN_LIMIT + [429, 429]
        self.check(codes == expected, "attempts alternate between servers; the limit holds on both",
                   f"statuses {codes}")
        other.csrf(self.b)
        status, _, _ = other.post(self.b + "/api/v1/auth/login", {"email": SELLER_EMAIL, "password": SELLER_PASSWORD})
        self.check(status == 200, "another client (another address behind the load balancer) still signs in",
                   f"HTTP {status}")

    def checkout_race(self, product_id: int, stock: int, buyers: int) -> None:
        say(f"3. Checkout race: {buyers} shoppers, stock {stock}, alternating servers")
        barrier = threading.Barrier(buyers)

        def buy(n: int) -> int:
            server = (self.a, self.b)[n % 2]
            shopper = Browser(f"192.0.2.{n + 1}")
            shopper.csrf(server)
            # One phone per shopper: the unpaid-orders hold limit counts per phone.
            order = {"contact": {"full_name": f"Khách {n}", "phone": f"0912{n:06d}", "email": f"khach{n}@example.vn"},
                     "shipping_address": {"line1": f"Số {n} đường Trần Hưng Đạo", "ward": "Hạ Long",
                                          "province": "Quảng Ninh"},
                     "payment_method": "vietqr", "items": [{"product_id": product_id, "quantity": 1}]}
            barrier.wait(30)
            return shopper.post(server + "/api/v1/checkout", order)[0]

        with ThreadPoolExecutor(buyers) as pool:
            statuses = list(pool.map(buy, range(buyers)))
        sold = statuses.count(201)
        left = self.stock_of(product_id)
        other = sorted({s for s in statuses if s not in (201, 409)})
        self.check(sold == stock and left == 0 and not other,
                   "exactly the stock was sold, the rest refused with 409",
                   f"201 x{sold}, 409 x{statuses.count(409)}, other {other}, stock left {left}")

    def stock_of(self, product_id: int) -> int:
        import sqlalchemy as sa

        engine = sa.create_engine(self.env["DATABASE_URL"])
        with engine.connect() as conn:
            left = conn.execute(sa.text("SELECT stock FROM products WHERE id = :id"), {"id": product_id}).scalar()
            lines = conn.execute(sa.text("SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE product_id = :id"),
                                 {"id": product_id}).scalar()
        engine.dispose()
        say(f"     order lines for the product: {lines} units")
        return left

    def shared_uploads(self, token: str, product: dict) -> None:
        say("4. Photo uploaded through A, served by B")
        data = photo()
        body, content_type = multipart("images", "anh.jpg", data, "image/jpeg")
        status, payload, _ = call("POST", f"{self.a}/api/v1/seller/products/{product['id']}/images", raw=body,
                                  token=token, content_type=content_type)
        self.check(status == 201, "upload accepted by server A",
                   f"HTTP {status}" if status == 201 else f"HTTP {status} {payload[:300].decode(errors='replace')}")
        if status != 201:
            return
        image = as_json(payload)["images"][-1]
        path = urllib.parse.urlsplit(image["url"]).path
        status_b, served, headers = call("GET", self.b + path)
        self.check(status_b == 200 and served[:4] == b"RIFF" and headers.get("Content-Type") == "image/webp",
                   "server B serves the stored (re-encoded WebP) photo", f"HTTP {status_b}, {len(served)} bytes")
        again, _, _ = call("GET", self.b + path, headers={"If-None-Match": headers.get("ETag", "")})
        self.check(again == 304, "a repeat with its ETag is answered 304", f"HTTP {again}")

    def shared_cache(self, token: str, product: dict) -> None:
        say("5. Cached on B, invalidated by an edit on A")
        url = f"{self.b}/api/v1/products/{product['id']}"
        status, body, headers = call("GET", url)
        etag = headers.get("ETag", "")
        repeat, _, _ = call("GET", url, headers={"If-None-Match": etag})
        self.check(status == 200 and repeat == 304, "B answers a repeat 304", f"HTTP {status}, then {repeat}")
        price = as_json(body)["price_vnd"] + 1000
        call("PATCH", f"{self.a}/api/v1/seller/products/{product['id']}", {"price_vnd": price}, token=token)
        status, body, headers = call("GET", url, headers={"If-None-Match": etag})
        self.check(status == 200 and as_json(body)["price_vnd"] == price and headers.get("ETag") != etag,
                   "after the edit on A, B sends the new price with a new ETag", f"HTTP {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-dir", action="store_true",
                        help="uploads in a shared directory instead of S3-compatible storage")
    parser.add_argument("--database", default="scale_demo")
    parser.add_argument("--redis-db", type=int, default=7)
    parser.add_argument("--buyers", type=int, default=24)
    parser.add_argument("--stock", type=int, default=7)
    parser.add_argument("--port-base", type=int, default=5810,
                        help="load balancer on this port, servers A and B and the S3 stand-in on the next three")
    parser.add_argument("--rate", type=float, default=20, help="requests per second offered by the load tool")
    parser.add_argument("--seconds", type=float, default=30, help="length of the load run")
    parser.add_argument("--kill-at", type=float, default=0.4, help="when server A is killed, as a share of the run")
    args = parser.parse_args()

    from scripts.scale_load import AppServer, HAProxy, SEPAY_KEY

    lb_port, a_port, b_port, s3_port = (args.port_base + i for i in range(4))
    work = Path(tempfile.mkdtemp(prefix="ocop-scale-demo-"))
    with ExitStack() as stack:
        say("Setting up: one PostgreSQL database, one Redis, shared storage")
        database_url = fresh_database(args.database)
        redis_url = stack.enter_context(redis_server(args.redis_db))
        storage = (stack.enter_context(s3_server(s3_port)) if not args.shared_dir
                   else {"UPLOAD_DIR": str(work / "shared-uploads")})
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "SEARCH_BACKEND": "postgres",
               "LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT} per minute", "PYTHONPATH": str(ROOT),
               "MAIL_OUTBOX_DIR": str(work / "outbox"), "SEARCH_INDEX_DIR": str(work / "unused-index"),
               "APP_ENV": "development", "SECRET_KEY": "scale-demo-shared-secret-key-0123456789",
               "TRUSTED_PROXY_COUNT": "1", "SEPAY_API_KEY": SEPAY_KEY, "GUNICORN_MAX_REQUESTS": "0",
               # Every load-tool request reaches the app from the load balancer's address:
               # per-client limits would turn the fixed-rate mix into 429s and 422s.
               "CHECKOUT_RATE_LIMIT": "100000 per minute", "WEBHOOK_RATE_LIMIT": "100000 per minute",
               "UNPAID_ORDERS_PER_CLIENT": "0",
               **storage}
        env.pop("RATELIMIT_ENABLED", None)
        say(f"  database {args.database}, Redis {redis_url}, storage "
            f"{'S3 ' + storage['S3_ENDPOINT_URL'] if not args.shared_dir else storage['UPLOAD_DIR']}")
        flask(env, "db", "upgrade")
        flask(env, "seed")
        seller = seller_producer(env)
        flask(env, "users", "create", "--email", SELLER_EMAIL, "--password", SELLER_PASSWORD, "--role", "seller",
              "--producer", seller)
        race_product = prepare_race_product(env, args.stock)
        servers = {"a": AppServer("a", a_port, env, work), "b": AppServer("b", b_port, env, work)}
        for server in servers.values():
            stack.callback(server.stop)
            say(f"  server {server.name.upper()}: {server.start()} (gunicorn, 2 workers)")
        demo = Demo(servers["a"].base, servers["b"].base, env)
        token, product = demo.seller_token()
        demo.search_follows_edits(token, product)
        demo.shared_rate_limit()
        demo.checkout_race(race_product, args.stock, args.buyers)
        demo.shared_uploads(token, product)
        demo.shared_cache(token, product)

        balancer = HAProxy(lb_port, {"a": a_port, "b": b_port}, work)
        stack.callback(balancer.stop)
        say(f"6. Fixed-rate mix through HAProxy ({balancer.start()}); server A killed with SIGKILL "
            f"at {args.kill_at * args.seconds:.0f} s and started again")
        demo.failures += load_run(args, env, servers, balancer)
    shutil.rmtree(work, ignore_errors=True)
    if demo.failures:
        say(f"\n{len(demo.failures)} check(s) failed: " + "; ".join(demo.failures))
        sys.exit(1)
    say("\nAll scale-out checks passed.")


def load_run(args, env: dict, servers: dict, balancer) -> list[str]:
    """The open-loop mix, the kill and restart of server A, then the report; returns the failed checks."""
    from scripts import scale_load as sl

    products, categories = sl.products_on_sale(env["DATABASE_URL"])
    ids = [p["id"] for p in products]
    before = sl.database_figures(env["DATABASE_URL"], ids)
    load = sl.Load(balancer.base, products, categories)
    marks: dict[str, float] = {}

    def kill_and_restart() -> None:
        marks["kill"] = time.monotonic()
        marks["gone"] = servers["a"].kill9()
        servers["a"].start()
        marks["back"] = time.monotonic()

    slots = sl.schedule(args.rate, args.seconds)
    start = load.drive(slots, {args.kill_at * args.seconds: kill_and_restart})
    paid_late = load.pay_the_rest()
    time.sleep(1)  # HAProxy writes its last log lines
    after = sl.database_figures(env["DATABASE_URL"], ids)
    served_by = balancer.served_by()
    verdict = sl.classify(load.results, (marks["kill"], marks["gone"]) if marks else None, "a", served_by)
    first_tries = [r for r in load.results if not r.retry]
    rows = sl.summarise(first_tries, args.seconds)

    say(f"  offered {len(slots)} requests at {args.rate:g}/s for {args.seconds:g} s; "
        f"latest departure {max(r.late for r in first_tries) * 1000:.0f} ms behind schedule")
    say(f"  server A killed at {marks['kill'] - start:.1f} s (refusing connections {(marks['gone'] - marks['kill']) * 1000:.0f} ms "
        f"later), answering /healthz again at {marks['back'] - start:.1f} s")
    after_restart = sum(1 for r in load.results if r.started > marks["back"]
                        and served_by.get(r.load_id, {}).get("server") == "a")
    say(f"  requests served by A after its restart: {after_restart}")
    say(f"  {'endpoint':<10} {'requests':>8} {'rate/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6} {'retries':>7}")
    for kind, row in rows.items():
        retries = sum(1 for r in load.results if r.retry and r.kind == kind)
        say(f"  {kind:<10} {row['requests']:>8} {row['rate']:>7.1f} {row['p50_ms']:>7.0f} {row['p95_ms']:>7.0f} "
            f"{row['errors']:>6} {retries:>7}")
    say(f"  bank slots with no unpaid order yet: {load.idle_bank_slots}; orders paid after the last slot: {paid_late}")
    failures = []
    for label, ok, detail in sl.check_sums(before, after, load.placed, load.paid):
        say(f"  [{'PASS' if ok else 'FAIL'}] {label} ({detail})")
        if not ok:
            failures.append(label)
    in_flight, other = verdict["in_flight"], verdict["other"]
    say(f"  failed requests: {len(in_flight) + len(other)}; in flight on A when it was killed: {len(in_flight)} "
        f"({', '.join(sorted(r.load_id for r in in_flight)) or 'none'})")
    causes = Counter((r.status, served_by.get(r.load_id, {}).get("server", "?"),
                      served_by.get(r.load_id, {}).get("state", "not logged")) for r in other)
    for (status, server, state), count in causes.most_common():
        say(f"     other failures: {count} x status {status} via {server} ({state})")
    for result in other[:5]:
        server = served_by.get(result.load_id, {})
        say(f"     other failure: {result.load_id} status {result.status} via {server.get('server', '?')} "
            f"({server.get('state', 'not in the HAProxy log')}) at {result.started - start:.2f} s")
    ok = not other
    say(f"  [{'PASS' if ok else 'FAIL'}] no request failed other than those in flight on the killed server"
        + ("" if ok else f" ({len(other)} others)"))
    if not ok:
        failures.append("requests failed besides those in flight on the killed server")
    if not after_restart:
        failures.append("server A took no traffic after its restart")
    return failures


def seller_producer(env: dict) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        slug = conn.execute(sa.text(
            "SELECT p.slug FROM producers p JOIN products x ON x.producer_id = p.id "
            "WHERE p.approved AND p.suspended_at IS NULL AND x.status = 'active' ORDER BY p.id LIMIT 1")).scalar()
    engine.dispose()
    return slug


def prepare_race_product(env: dict, stock: int) -> int:
    """A public product of another producer, with exactly `stock` units."""
    import sqlalchemy as sa

    engine = sa.create_engine(env["DATABASE_URL"])
    with engine.begin() as conn:
        product_id = conn.execute(sa.text(
            "SELECT x.id FROM products x JOIN producers p ON x.producer_id = p.id "
            "WHERE p.approved AND p.suspended_at IS NULL AND x.status = 'active' ORDER BY x.id DESC LIMIT 1")).scalar()
        conn.execute(sa.text("UPDATE products SET stock = :n WHERE id = :id"), {"n": stock, "id": product_id})
    engine.dispose()
    return product_id


if __name__ == "__main__":
    main()
