#!/usr/bin/env python3
"""Outages under load: PostgreSQL, Redis and the mail server go away while shoppers buy.

    make chaos                                   # the database is taken away through a proxy
    make chaos CHAOS_ARGS=--restart-postgres     # restarts the real cluster (nothing else may use it)

Starts gunicorn (the project's gunicorn.conf.py, 2 workers) over PostgreSQL (a database of
its own, `chaos`, rebuilt by the migrations and seeded), a private redis-server on a free
port (rate limits and the shared cache), an SMTP server (aiosmtpd) on a free port and the
mail worker (`flask mail worker`, MAIL_DELIVERY=worker). Shoppers check out, the bank sends
SePay notifications for their orders (delivered again until answered 2xx, as SePay does,
and now and then twice) and visitors read pages, through five phases:

1. steady;
2. PostgreSQL away: the app reaches it through a TCP proxy (scripts/tcp_proxy.py) that is
   cut (every connection reset, new ones refused) and restored, or, with
   `--restart-postgres`, `pg_ctlcluster ... restart`;
3. Redis stopped and started again (empty, as after a restart);
4. the mail server killed and started again;
5. steady again.

Then prints, per phase, the answers by status code, and checks that orders, units in their
lines, stock, bank transfers, the payment ledger and the outbox agree exactly. Exits non-zero
on a 500 or when something does not add up.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import queue
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

from bench.run import free_port, gunicorn_server  # noqa: E402
from scripts.scale_demo import flask, fresh_database, say  # noqa: E402
from scripts.tcp_proxy import CuttableProxy  # noqa: E402

SEPAY_KEY = "chaos-sepay-key"
ACCOUNT_NO = "0011004123456"
PHASES = ("steady", "postgres down", "redis down", "mail down", "recovered")
PRODUCTS = 6
STOCK = 1_000_000


def bank_time_now() -> str:
    """The bank's local time (Vietnam, UTC+7) now: an earlier time than the order's own is held."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 7 * 3600))


# --- the servers the app depends on -----------------------------------------------------

class Redis:
    """A private redis-server that can be stopped and started again on the same port."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        if not self.binary:
            sys.exit("redis-server is needed: apt-get install redis-server")
        self.port = free_port()
        self.process = None

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class Smtp:
    """An aiosmtpd server counting what it receives; `stop()` kills it, `start()` brings it back."""

    def __init__(self):
        self.port = free_port()
        self.received = 0
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class Database:
    """PostgreSQL as the app sees it: through a proxy that can be cut, or restarted for real."""

    def __init__(self, restart_for_real: bool):
        self.real = restart_for_real
        self.proxy = CuttableProxy("127.0.0.1", 5432).start()

    def outage(self, seconds: float) -> None:
        if self.real:
            cluster = sorted(os.listdir("/etc/postgresql"))[-1]
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"], check=True)
            return
        self.proxy.cut()
        time.sleep(seconds)
        self.proxy.restore()


@contextmanager
def mail_worker(env: dict, log_path: Path):
    with open(log_path, "a") as log:
        process = subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "mail", "worker"], cwd=ROOT, env=env,
                                   stdout=log, stderr=log)
        try:
            yield process
        finally:
            process.terminate()
            process.wait(20)


# --- the load ---------------------------------------------------------------------------

class Load:
    def __init__(self, base: str, products: list[dict]):
        self.base, self.products = base, products
        self.phase = PHASES[0]
        self.answers: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.created: list[dict] = []       # orders answered 201
        self.to_notify: queue.Queue = queue.Queue()  # bank notifications not yet answered 2xx
        self.notified: dict[int, dict] = {}  # txn id -> the order it paid (answered 2xx)
        self.txn_ids = itertools.count(7_000_001)
        self.unacknowledged = 0  # notifications still refused when the run ended
        self.examples: dict[tuple, str] = {}  # (kind, status) -> the first such answer's body

    def call(self, kind: str, method: str, path: str, body=None, headers=None, opener=None) -> tuple[int, dict | None]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={**({"Content-Type": "application/json"} if data else {}),
                                                  **(headers or {})})
        try:
            with (opener or urllib.request.build_opener()).open(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        except OSError as error:  # no HTTP answer at all
            status, raw = f"no answer ({error.__class__.__name__})", b""
        with self.lock:
            self.answers[self.phase][kind][status] += 1
            if status not in (200, 201, 409):
                self.examples.setdefault((kind, status), raw[:300].decode(errors="replace"))
        try:
            return status, json.loads(raw) if raw[:1] in (b"{", b"[") else None
        except ValueError:
            return status, None

    def shopper(self, n: int) -> None:
        """A browser: its session cookie and CSRF token, then one checkout after another."""
        import http.cookiejar

        rng = random.Random(n)
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        _status, answer = self.call("page", "GET", "/api/v1/auth/csrf", opener=browser)
        headers = {"X-CSRFToken": answer["csrf_token"]}
        while not self.stop.is_set():
            chosen = rng.sample(self.products, rng.choice((1, 2)))
            body = {"contact": {"full_name": "Nguyễn Thị Lan", "phone": "0912345678", "email": f"lan{n}@example.vn"},
                    "shipping_address": {"line1": "Số 12 Cao Thắng", "ward": "Phường Hạ Long", "province": "Quảng Ninh"},
                    "payment_method": "vietqr",
                    "items": [{"product_id": p["id"], "quantity": rng.choice((1, 2))} for p in chosen]}
            status, answer = self.call("checkout", "POST", "/api/v1/checkout", body, headers, browser)
            if status == 201:
                order = answer["order"]
                with self.lock:
                    self.created.append(order)
                    if rng.random() < 0.7:  # most shoppers pay
                        self.to_notify.put({"order": order, "txn": next(self.txn_ids), "twice": rng.random() < 0.2})
            elif status != 409:
                time.sleep(0.1)

    def bank(self) -> None:
        """SePay: delivers each notification until it is answered 2xx, sometimes once more.
        Runs until told to stop and every notification has been acknowledged."""
        while True:
            try:
                item = self.to_notify.get(timeout=0.1)
            except queue.Empty:
                if self.stop.is_set():
                    return
                continue
            status, _answer = self.deliver(item)
            if status == 200:
                if item["twice"]:
                    self.deliver(item)
                with self.lock:
                    self.notified[item["txn"]] = item["order"]
            else:
                time.sleep(0.2)  # SePay waits before it delivers again
                self.to_notify.put(item)
            self.to_notify.task_done()

    def deliver(self, item: dict):
        order = item["order"]
        body = {"id": item["txn"], "gateway": "Vietcombank", "transactionDate": bank_time_now(),
                "accountNumber": ACCOUNT_NO, "code": None, "content": f"{order['payment']['reference']} thanh toan",
                "transferType": "in", "transferAmount": order["total_vnd"], "accumulated": 0, "subAccount": None,
                "referenceCode": f"FT{item['txn']}", "description": f"BankAPINotify {order['payment']['reference']}"}
        return self.call("webhook", "POST", "/payments/sepay/webhook", body,
                         {"Authorization": f"Apikey {SEPAY_KEY}"})

    def visitor(self, n: int) -> None:
        rng = random.Random(1000 + n)
        paths = ["/", "/products", "/api/v1/products", "/api/v1/products?q=tra"]
        paths += [f"/products/{p['slug']}" for p in self.products] + [f"/api/v1/products/{p['id']}" for p in self.products]
        while not self.stop.is_set():
            self.call("page", "GET", rng.choice(paths))
            time.sleep(0.02)


# --- checks -----------------------------------------------------------------------------

def figures(url: str, product_ids: list[int]) -> dict:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        one = lambda sql, *args: conn.execute(sql, args).fetchone()[0]  # noqa: E731
        return {
            "orders": one("SELECT count(*) FROM orders"),
            "units": one("SELECT coalesce(sum(quantity), 0) FROM order_lines"),
            "stock": one("SELECT coalesce(sum(stock), 0) FROM products WHERE id = ANY(%s)", product_ids),
            "orders_without_lines": one("SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_parts p"
                                        " JOIN order_lines l ON l.part_id = p.id WHERE p.order_id = o.id)"),
            "orders_not_adding_up": one("SELECT count(*) FROM orders o WHERE o.total_vnd <> o.subtotal_vnd + "
                                        "o.shipping_vnd OR o.subtotal_vnd <> (SELECT coalesce(sum(l.line_total_vnd), 0)"
                                        " FROM order_parts p JOIN order_lines l ON l.part_id = p.id"
                                        " WHERE p.order_id = o.id)"),
            "paid_orders": one("SELECT count(*) FROM orders WHERE payment_status = 'paid'"),
            "paid_total": one("SELECT coalesce(sum(total_vnd), 0) FROM orders WHERE payment_status = 'paid'"),
            "transfers": one("SELECT count(*) FROM bank_transfers"),
            "ledger_entries": one("SELECT count(*) FROM payment_ledger WHERE kind = 'payment'"),
            "ledger_sum": one("SELECT coalesce(sum(amount_vnd), 0) FROM payment_ledger WHERE kind = 'payment'"),
            "mail": dict(conn.execute("SELECT status, count(*) FROM outgoing_mail GROUP BY status").fetchall()),
        }


def report(load: Load, before: dict, after: dict, smtp: Smtp) -> list[str]:
    kinds = ("checkout", "webhook", "page")
    say("\nAnswers by phase and status code:")
    say(f"  {'phase':<14} " + " ".join(f"{k:<34}" for k in kinds))
    for phase in PHASES:
        cells = []
        for kind in kinds:
            counts = load.answers[phase][kind]
            cells.append(", ".join(f"{status}: {n}" for status, n in sorted(counts.items(), key=str)) or "-")
        say(f"  {phase:<14} " + " ".join(f"{c:<34}" for c in cells))
    for (kind, status), body in sorted(load.examples.items(), key=str):
        say(f"  e.g. {kind} {status}: {' '.join(body.split())[:160]}")
    problems = []
    every = Counter()
    for phase in PHASES:
        for kind in kinds:
            every.update(load.answers[phase][kind])
    if every[500]:
        problems.append(f"{every[500]} answers were 500")
    unanswered = sum(n for status, n in every.items() if not isinstance(status, int))
    if unanswered:
        problems.append(f"{unanswered} requests got no HTTP answer")
    if load.unacknowledged:
        problems.append(f"{load.unacknowledged} bank notifications were never acknowledged")

    created, sold = len(load.created), after["units"] - before["units"]
    paid = load.notified.values()
    checks = [
        ("shoppers bought and the bank paid", created > 0 and len(load.notified) > 0,
         f"{created} orders answered 201, {len(load.notified)} paid by transfer"),
        ("units in order lines = stock taken", sold == before["stock"] - after["stock"],
         f"{sold} units sold, stock down by {before['stock'] - after['stock']}"),
        ("orders answered 201 are all there", after["orders"] - before["orders"] >= created,
         f"{created} answered 201, {after['orders'] - before['orders']} in the database"
         + (" (the rest committed just before their connection was cut, answered 503)"
            if after["orders"] - before["orders"] > created else "")),
        ("every order has lines and adds up", after["orders_without_lines"] == 0 and after["orders_not_adding_up"] == 0,
         f"{after['orders_without_lines']} without lines, {after['orders_not_adding_up']} not adding up"),
        ("each transfer recorded once", after["transfers"] == len(load.notified),
         f"{len(load.notified)} transfers acknowledged, {after['transfers']} recorded"),
        ("paid orders = transfers that paid them", after["paid_orders"] == len(load.notified),
         f"{after['paid_orders']} orders paid"),
        ("ledger = sum of the paid orders", after["ledger_entries"] == len(load.notified)
         and after["ledger_sum"] == sum(o["total_vnd"] for o in paid) == after["paid_total"],
         f"{after['ledger_entries']} entries, {after['ledger_sum']:,} VND"),
        ("no message lost or given up", "failed" not in after["mail"]
         and sum(after["mail"].values()) >= after["orders"] + after["paid_orders"],
         f"outbox {after['mail']}, SMTP server received {smtp.received}"),
    ]
    say("\nChecks:")
    for label, ok, detail in checks:
        say(f"  {'OK  ' if ok else 'FAIL'} {label}: {detail}")
        if not ok:
            problems.append(label)
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="chaos")
    parser.add_argument("--phase-seconds", type=float, default=8)
    parser.add_argument("--down-seconds", type=float, default=3, help="how long each server stays away")
    parser.add_argument("--shoppers", type=int, default=6)
    parser.add_argument("--visitors", type=int, default=2)
    parser.add_argument("--restart-postgres", action="store_true",
                        help="restart the real PostgreSQL cluster instead of cutting the proxy")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ocop-chaos-"))
    with ExitStack() as stack:
        say("Setting up: PostgreSQL behind a proxy, a private Redis, an SMTP server, gunicorn and the mail worker")
        direct_url = fresh_database(args.database)
        database = Database(args.restart_postgres)
        stack.callback(database.proxy.stop)
        app_url = direct_url.replace("127.0.0.1:5432", f"127.0.0.1:{database.proxy.port}")
        redis, smtp = Redis(), Smtp()
        redis.start()
        stack.callback(redis.stop)
        smtp.start()
        stack.callback(smtp.stop)
        env = {**os.environ, "DATABASE_URL": direct_url, "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
               "SEARCH_BACKEND": "postgres", "PYTHONPATH": str(ROOT), "APP_ENV": "development",
               "SECRET_KEY": "chaos-secret-key-0123456789-0123456789", "SEPAY_API_KEY": SEPAY_KEY,
               "VIETQR_ACCOUNT_NO": ACCOUNT_NO, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port),
               "MAIL_TIMEOUT_S": "2", "MAIL_DELIVERY": "worker", "MAIL_OUTBOX_DIR": str(work / "outbox"),
               "SEARCH_INDEX_DIR": str(work / "index"), "CHECKOUT_RATE_LIMIT": "100000 per minute",
               "WEBHOOK_RATE_LIMIT": "100000 per minute", "GUNICORN_MAX_REQUESTS": "0"}
        for name in ("RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI", "CACHE_ENABLED"):
            env.pop(name, None)
        flask(env, "db", "upgrade")
        flask(env, "seed")
        products = prepare_products(direct_url)
        product_ids = [p["id"] for p in products]
        app_env = {**env, "DATABASE_URL": app_url}
        base = stack.enter_context(gunicorn_server(app_env, work / "gunicorn.log", workers=2, access_log=False))
        stack.enter_context(mail_worker(app_env, work / "mail-worker.log"))
        say(f"  gunicorn {base}, database {args.database} via proxy :{database.proxy.port}, "
            f"Redis :{redis.port}, SMTP :{smtp.port}; logs in {work}")

        before = figures(direct_url, product_ids)
        load = Load(base, products)
        threads = [threading.Thread(target=load.shopper, args=(n,)) for n in range(args.shoppers)]
        threads += [threading.Thread(target=load.visitor, args=(n,)) for n in range(args.visitors)]
        banks = [threading.Thread(target=load.bank) for _ in range(3)]
        for thread in threads + banks:
            thread.start()
        outages = {"postgres down": lambda: database.outage(args.down_seconds),
                   "redis down": lambda: (redis.stop(), time.sleep(args.down_seconds), redis.start()),
                   "mail down": lambda: (smtp.stop(), time.sleep(args.down_seconds), smtp.start())}
        try:
            for phase in PHASES:
                load.phase = phase
                started = time.monotonic()
                say(f"  phase: {phase}")
                if phase in outages:
                    time.sleep(1)
                    outages[phase]()
                time.sleep(max(0.0, args.phase_seconds - (time.monotonic() - started)))
        finally:
            load.stop.set()
            for thread in threads:
                thread.join(60)
            deadline = time.monotonic() + 300  # the last notifications are delivered until acknowledged
            while load.to_notify.unfinished_tasks and time.monotonic() < deadline:
                time.sleep(0.2)
            load.unacknowledged = load.to_notify.unfinished_tasks
            for thread in banks:
                thread.join(60)
        time.sleep(2)  # the mail worker's last pass
        after = figures(direct_url, product_ids)
        problems = report(load, before, after, smtp)
    say("\n" + ("All checks passed: no 500, nothing lost." if not problems else "PROBLEMS: " + "; ".join(problems)))
    sys.exit(1 if problems else 0)


def prepare_products(url: str) -> list[dict]:
    """A few seeded products with stock that the run cannot exhaust (a 409 would hide an answer)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        rows = conn.execute("SELECT id, slug FROM products WHERE status = 'active' ORDER BY id LIMIT %s",
                            (PRODUCTS,)).fetchall()
        conn.execute("UPDATE products SET stock = %s WHERE id = ANY(%s)", (STOCK, [r[0] for r in rows]))
    return [{"id": r[0], "slug": r[1]} for r in rows]


if __name__ == "__main__":
    main()
