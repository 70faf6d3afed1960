"""The load half of `make scale-demo`: a fixed-rate shopping mix through HAProxy while one
app server is killed with SIGKILL and started again.

The load tool is open-loop: requests leave on a schedule fixed before the run (evenly spaced
at `rate` per second, kinds interleaved in exact proportions), whether or not earlier ones
have been answered, so a slow or dead server shows up as latency and errors instead of
quietly lowering the offered load as a closed loop (N clients, each waiting for its answer)
would.

Each request carries `X-Load-Id`; HAProxy logs that id with the server that handled it,
which is how a failed request is attributed to the killed server or not.

The pure parts (schedule, percentiles, log parsing, failure classification, the sums) are
tested in tests/perf/test_scale_load.py; `run()` drives the real servers.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import random
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Shares of the offered load. A bank notification pays the oldest order placed and not yet
# paid, so it has the checkout's share: orders are paid about as fast as they are placed.
MIX = {"browse": 28, "search": 20, "product": 26, "cart": 10, "checkout": 8, "bank": 8}
# The answer each kind must get; anything else (or no answer) is a failed request.
EXPECTED = {"browse": 200, "search": 200, "product": 200, "cart": 201, "checkout": 201, "bank": 200}
SEARCHES = ("tra hoa vang", "mat ong", "ruou", "hai san", "nuoc mam", "mien dong", "cha muc", "ba kich")
SEPAY_KEY = "scale-demo-sepay-key"
# How long a shopper retries a checkout whose answer was lost, and the bank a notification
# not acknowledged (SePay keeps redelivering for longer).
RETRY_FOR_S = 120
ACCOUNT_NO = "0011004123456"


# --- the schedule -------------------------------------------------------------------------

@dataclass(frozen=True)
class Slot:
    n: int          # position in the schedule
    at: float       # seconds after the start
    kind: str


def schedule(rate: float, seconds: float, mix: dict[str, int] = MIX) -> list[Slot]:
    """`rate` requests a second for `seconds`, evenly spaced; kinds interleaved by smooth
    weighted round robin, so any stretch of the run carries the mix, not only the whole."""
    if rate <= 0 or seconds <= 0:
        raise ValueError("rate and seconds must be positive")
    total = round(rate * seconds)
    weights = {kind: w for kind, w in mix.items() if w > 0}
    whole = sum(weights.values())
    credit = dict.fromkeys(weights, 0)
    slots = []
    for n in range(total):
        for kind, weight in weights.items():
            credit[kind] += weight
        kind = max(weights, key=lambda k: credit[k])
        credit[kind] -= whole
        slots.append(Slot(n, n / rate, kind))
    return slots


# --- results ------------------------------------------------------------------------------

@dataclass
class Result:
    load_id: str
    kind: str
    started: float   # monotonic seconds
    ended: float
    status: int | None  # None: no HTTP answer at all
    late: float = 0.0   # how long after its scheduled time the request left
    retry: bool = False

    @property
    def failed(self) -> bool:
        return self.status != EXPECTED[self.kind]


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share 0.95 for p95); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered) - 1e-9))  # the tolerance: 0.95 * 20 is 19.000000000000004
    return ordered[min(rank, len(ordered)) - 1]


def summarise(results: list[Result], seconds: float) -> dict[str, dict]:
    """Per kind: requests, achieved rate, p50 and p95 latency (ms), failed requests."""
    rows = {}
    for kind in MIX:
        mine = [r for r in results if r.kind == kind]
        times = [(r.ended - r.started) * 1000 for r in mine]
        rows[kind] = {"requests": len(mine), "rate": len(mine) / seconds if seconds else 0.0,
                      "p50_ms": percentile(times, 0.50), "p95_ms": percentile(times, 0.95),
                      "errors": sum(r.failed for r in mine), "retries": sum(r.retry for r in mine)}
    return rows


def parse_haproxy_log(lines) -> dict[str, dict]:
    """`load-id server status termination-state` lines (the log-format in haproxy_config)
    -> {load_id: {"server", "status", "state"}}. Lines without a load id are skipped."""
    seen = {}
    for line in lines:
        parts = line.split()
        if len(parts) < 4 or not parts[0].startswith("{") or parts[0] in ("{}", "{-}"):
            continue
        load_id = parts[0].strip("{}")
        status = int(parts[2]) if parts[2].lstrip("-").isdigit() else None
        seen[load_id] = {"server": parts[1], "status": status, "state": parts[3]}
    return seen


def classify(results: list[Result], dying: tuple[float, float] | None, killed: str,
             served_by: dict[str, dict]) -> dict:
    """Splits the failed requests: those in flight on the killed server when it died and any
    other failure, which the demo treats as a defect. `dying` is (SIGKILL sent, connections
    refused): until the kernel has closed the dead server's listening socket it still accepts
    connections, so a request HAProxy hands it in that window is lost with it. In flight means
    handled by the killed server, sent before it was gone and unanswered when the kill was sent."""
    in_flight, other = [], []
    for result in results:
        if not result.failed:
            continue
        server = served_by.get(result.load_id, {}).get("server")
        if (dying is not None and server == killed and result.started <= dying[1] and result.ended >= dying[0]):
            in_flight.append(result)
        else:
            other.append(result)
    return {"in_flight": in_flight, "other": other}


def check_sums(before: dict, after: dict, placed: list[dict], paid: list[dict]) -> list[tuple[str, bool, str]]:
    """Orders placed vs paid vs stock sold. `before`/`after`: the database's figures
    (orders, units in order lines, stock of the products on sale, paid orders, ledger sum);
    `placed`: the orders the shoppers were answered 201 for (once each, first try or retry
    with the same Idempotency-Key); `paid`: the orders whose bank notification was acknowledged."""
    orders = after["orders"] - before["orders"]
    units = after["units"] - before["units"]
    sold = before["stock"] - after["stock"]
    paid_orders = after["paid_orders"] - before["paid_orders"]
    ledger = after["ledger_sum"] - before["ledger_sum"]
    client_units = sum(item["quantity"] for order in placed for part in order["parts"] for item in part["items"])
    codes = {order["code"] for order in placed}
    return [
        ("every order placed is known to its shopper, once", orders == len(placed) == len(codes),
         f"{len(placed)} answered 201 ({len(codes)} distinct), {orders} new in the database"),
        ("every order placed was paid", paid_orders == len(paid) == len(placed)
         and {o["code"] for o in paid} == codes,
         f"{len(paid)} notifications acknowledged, {paid_orders} orders paid in the database"),
        ("units ordered = stock sold", units == sold == client_units,
         f"{client_units} units in the answers, {units} in order lines, stock down by {sold}"),
        ("money received = sum of the paid orders", ledger == sum(o["total_vnd"] for o in paid),
         f"ledger +{ledger:,} VND, paid orders {sum(o['total_vnd'] for o in paid):,} VND"),
    ]


# --- the servers --------------------------------------------------------------------------

def haproxy_config(port: int, servers: dict[str, int], per_server: int = 4) -> str:
    """Round robin over the app servers with health checks every second. A connection
    refused (a dead server) is retried on the other server; a request already sent is not
    retried by HAProxy (it may have changed something), so it fails: that is "in flight"."""
    lines = [
        "global", "    log stdout format raw local0", "    maxconn 1024",
        "defaults", "    mode http", "    log global",
        '    log-format "%hr %s %ST %tsc %Ta"',
        "    timeout connect 2s", "    timeout client 30s", "    timeout server 30s",
        "    retries 5", "    option redispatch 1", "    option forwardfor",
        "frontend shop", f"    bind 127.0.0.1:{port}",
        "    http-request capture req.hdr(X-Load-Id) len 48",
        "    default_backend app",
        "backend app", "    balance roundrobin", "    option httpchk GET /healthz",
        # A dead server refuses the check's connection at once, so a long check timeout does
        # not slow its detection; a short one would take a busy but live server out.
        "    timeout check 5s",
        # Passive checks too (observe layer4): refused connections take a server out at once,
        # instead of the retries meeting it again while the active checks have not yet failed twice.
        "    default-server inter 1s fastinter 500ms downinter 500ms fall 2 rise 2"
        " observe layer4 error-limit 2 on-error mark-down",
    ]
    # Each server gets no more requests at once than gunicorn has threads (2 workers x 2);
    # the rest wait in HAProxy's queue, so a busy server's health check is not stuck behind
    # a backlog in its listen queue (which would take a live server out of the pool).
    lines += ["    timeout queue 60s"]
    lines += [f"    server {name} 127.0.0.1:{p} check maxconn {per_server}" for name, p in servers.items()]
    return "\n".join(lines) + "\n"


class HAProxy:
    def __init__(self, port: int, servers: dict[str, int], work: Path):
        self.port, self.work = port, work
        self.config = work / "haproxy.cfg"
        self.config.write_text(haproxy_config(port, servers))
        self.log_path = work / "haproxy.log"
        self.process = None

    def start(self) -> str:
        binary = "/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else "haproxy"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([binary, "-db", "-f", str(self.config)], stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.base = base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"haproxy exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return base
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("haproxy did not answer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.log.close()

    def served_by(self) -> dict[str, dict]:
        return parse_haproxy_log(self.log_path.read_text(errors="replace").splitlines())


class AppServer:
    """One app server: gunicorn (the project's gunicorn.conf.py) in its own process group, so
    that SIGKILL to the group takes the master and its workers at once, as a crashed machine."""

    def __init__(self, name: str, port: int, env: dict, log_dir: Path, workers: int = 2):
        self.name, self.port = name, port
        self.env = {**env, "WEB_CONCURRENCY": str(workers), "BIND": f"127.0.0.1:{port}"}
        self.log_path = log_dir / f"server-{name}.log"
        self.process = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self) -> str:
        from bench.run import wait_until_up

        log = open(self.log_path, "a")
        gunicorn = Path(os.environ.get("VIRTUAL_ENV", "")) / "bin" / "gunicorn"
        binary = str(gunicorn) if gunicorn.exists() else str(Path(__import__("sys").executable).parent / "gunicorn")
        self.process = subprocess.Popen([binary, "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null",
                                         "wsgi:app"], cwd=ROOT, env=self.env, stdout=log, stderr=log,
                                        start_new_session=True)
        log.close()
        wait_until_up(self.base + "/healthz", self.process, self.log_path)
        return self.base

    def kill9(self) -> float:
        """SIGKILL to the server's process group; returns when its port refuses connections."""
        import socket

        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                return time.monotonic()
            time.sleep(0.01)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


# --- the load -----------------------------------------------------------------------------

@dataclass
class Load:
    base: str
    products: list[dict]        # {"id", "slug"} of the products on sale during the run
    categories: list[str]
    results: list[Result] = field(default_factory=list)
    placed: list[dict] = field(default_factory=list)
    paid: list[dict] = field(default_factory=list)
    unpaid: deque = field(default_factory=deque)
    idle_bank_slots: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, load_id: str, kind: str, method: str, path: str, body=None, headers=None,
             scheduled: float | None = None, retry: bool = False):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "X-Load-Id": load_id, **({"Content-Type": "application/json"} if data else {}), **(headers or {})})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        except OSError:
            status, raw = None, b""
        ended = time.monotonic()
        with self.lock:
            self.results.append(Result(load_id, kind, started, ended, status,
                                       max(0.0, started - scheduled) if scheduled is not None else 0.0, retry))
        try:
            return status, json.loads(raw) if raw[:1] in (b"{", b"[") else None
        except ValueError:
            return status, None

    def run_slot(self, slot: Slot, scheduled: float) -> None:
        rng = random.Random(slot.n)
        load_id = f"{slot.kind}-{slot.n}"
        product = rng.choice(self.products)
        if slot.kind == "browse":
            path = rng.choice([f"/products?category={rng.choice(self.categories)}", "/",
                               f"/api/v1/products?page={rng.randint(1, 3)}&sort=newest"])
            self.call(load_id, "browse", "GET", path, scheduled=scheduled)
        elif slot.kind == "search":
            q = urllib.request.quote(rng.choice(SEARCHES))
            path = rng.choice([f"/api/v1/products?q={q}", f"/products?q={q}"])
            self.call(load_id, "search", "GET", path, scheduled=scheduled)
        elif slot.kind == "product":
            path = rng.choice([f"/products/{product['slug']}", f"/api/v1/products/{product['id']}"])
            self.call(load_id, "product", "GET", path, scheduled=scheduled)
        elif slot.kind == "cart":  # a guest's first add: no cookie yet, so no CSRF token needed
            self.call(load_id, "cart", "POST", "/api/v1/cart/items",
                      {"product_id": product["id"], "quantity": rng.randint(1, 3)}, scheduled=scheduled)
        elif slot.kind == "checkout":
            self.checkout(load_id, rng, scheduled)
        elif slot.kind == "bank":
            with self.lock:
                order = self.unpaid.popleft() if self.unpaid else None
                self.idle_bank_slots += order is None
            if order is not None:
                self.notify(load_id, order, slot.n, scheduled)

    def checkout(self, load_id: str, rng: random.Random, scheduled: float | None) -> None:
        """A guest checkout with an Idempotency-Key; retried with the same key when the answer
        is lost (as the API tells clients to), so an order committed by a server that died
        before answering is recovered, not placed twice."""
        chosen = rng.sample(self.products, rng.choice((1, 2)))
        shopper = rng.randrange(10**6)  # the unpaid-orders hold limit counts per phone and email
        body = {"contact": {"full_name": "Nguyễn Thị Lan", "phone": f"0913{shopper:06d}",
                            "email": f"khach{shopper}@example.vn"},
                "shipping_address": {"line1": "Số 12 Cao Thắng", "ward": "Phường Hạ Long",
                                     "province": "Quảng Ninh"},
                "payment_method": "vietqr",
                "items": [{"product_id": p["id"], "quantity": rng.choice((1, 2))} for p in chosen]}
        headers = {"Idempotency-Key": str(uuid.UUID(int=rng.getrandbits(128)))}
        give_up = time.monotonic() + RETRY_FOR_S
        for attempt in itertools.count():
            status, answer = self.call(load_id if attempt == 0 else f"{load_id}-r{attempt}", "checkout", "POST",
                                       "/api/v1/checkout", body, headers, scheduled if attempt == 0 else None,
                                       retry=attempt > 0)
            if status == 201:
                with self.lock:
                    self.placed.append(answer["order"])
                    self.unpaid.append(answer["order"])
                return
            if status is not None and status < 500 and status != 409 or time.monotonic() > give_up:
                return  # refused for good (or given up): a failure, and no order for the sums
            time.sleep(min(2.0, 0.5 * (attempt + 1)))

    def notify(self, load_id: str, order: dict, txn: int, scheduled: float | None) -> None:
        """SePay's notification for the order's transfer, delivered again until answered 2xx."""
        from scripts.chaos import bank_time_now

        body = {"id": 9_000_000 + txn, "gateway": "Vietcombank", "transactionDate": bank_time_now(),
                "accountNumber": ACCOUNT_NO, "code": None, "content": f"{order['payment']['reference']} thanh toan",
                "transferType": "in", "transferAmount": order["total_vnd"], "accumulated": 0, "subAccount": None,
                "referenceCode": f"FT{txn}", "description": f"BankAPINotify {order['payment']['reference']}"}
        give_up = time.monotonic() + RETRY_FOR_S
        for attempt in itertools.count():
            status, _ = self.call(load_id if attempt == 0 else f"{load_id}-r{attempt}", "bank", "POST",
                                  "/payments/sepay/webhook", body, {"Authorization": f"Apikey {SEPAY_KEY}"},
                                  scheduled if attempt == 0 else None, retry=attempt > 0)
            if status == 200:
                with self.lock:
                    self.paid.append(order)
                return
            if time.monotonic() > give_up:
                return
            time.sleep(min(2.0, 0.5 * (attempt + 1)))

    def drive(self, slots: list[Slot], events: dict[float, callable] | None = None, workers: int = 96) -> float:
        """Sends every slot at its time (open loop) and runs `events` (seconds -> action) on
        the way; returns the monotonic start time."""
        pending = sorted((events or {}).items())
        start = time.monotonic()
        threads = []
        with ThreadPoolExecutor(workers) as pool:
            for slot in slots:
                while pending and pending[0][0] <= slot.at:
                    at, action = pending.pop(0)
                    time.sleep(max(0.0, start + at - time.monotonic()))
                    thread = threading.Thread(target=action)
                    thread.start()
                    threads.append(thread)
                time.sleep(max(0.0, start + slot.at - time.monotonic()))
                pool.submit(self.run_slot, slot, start + slot.at)
        for thread in threads:
            thread.join(120)
        return start

    def pay_the_rest(self) -> int:
        """Orders placed in the last moments, after the last bank slot: paid now."""
        count = 0
        while self.unpaid:
            order = self.unpaid.popleft()
            self.notify(f"bank-final-{count}", order, 800_000 + count, None)
            count += 1
        return count


def database_figures(url: str, product_ids: list[int]) -> dict:
    """The sums the demo checks, read as the chaos run reads them."""
    from scripts.chaos import figures

    return figures(url, product_ids)


def products_on_sale(url: str, count: int = 12, stock: int = 1_000_000) -> tuple[list[dict], list[str]]:
    """Seeded products with stock the run cannot exhaust (a 409 would hide an answer), and
    category slugs to browse."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT x.id, x.slug FROM products x JOIN producers p ON p.id = x.producer_id WHERE x.status = 'active'"
            " AND p.approved AND p.suspended_at IS NULL ORDER BY x.id LIMIT %s", (count,)).fetchall()
        conn.execute("UPDATE products SET stock = %s WHERE id = ANY(%s)", (stock, [r[0] for r in rows]))
        categories = [r[0] for r in conn.execute("SELECT slug FROM categories ORDER BY id LIMIT 8")]
    return [{"id": r[0], "slug": r[1]} for r in rows], categories
