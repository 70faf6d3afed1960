"""Checkout benchmark: concurrent clients against gunicorn on PostgreSQL.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test_orders \
        .venv/bin/python bench/checkout.py --clients 32 --seconds 15

It rebuilds the schema of the given database (its name must start with "test" or
"bench"), seeds producers and products, starts gunicorn, then

1. throughput: N clients (Bearer tokens, as mobile apps do) place checkouts of 1-3
   products for the given time; prints checkouts per second, p50 and p95 latency;
2. last units: the same clients race for a product with few units left; exactly that
   many checkouts may succeed;
3. verifies no oversell: for every product, units ordered + stock left == stock at the
   start, and no stock is negative; and that every confirmation email went out.

The confirmation emails are sent as in production (`--mail worker`, the default): the
checkout puts them in the outbox and `flask mail worker` sends them (to .eml files), its
CPU shown beside the web workers'. `--mail inline` sends them from the web workers, right
after each commit.

It also measures GET /healthz on the same server with the same clients, and prints the
machine's load: on a shared machine the ratio of checkouts/s to /healthz requests/s says
more than the absolute figure.

The clients of step 1 and of the reference are wrk's (`--driver wrk`, the default when
wrk is installed: a C load generator driven by bench/checkout.lua, which leaves the
machine's two cores to the server); `--driver python` uses threads of `requests`
instead, which cost about as much CPU per request as the server's /healthz. The race of
step 2 always uses the Python clients, which check each answer.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATE, TARGET_P95_MS = 150, 150  # issue #4: checkouts per second, and p95 latency
# Every client orders as the same contact, so the unpaid-order limits (checkout/limits.py)
# would refuse all but the first few: set far out of reach, they still run their query as
# for a shopper without unpaid orders. The per-product bound is off (its query runs only for
# a contact who already holds unpaid orders, which here would be every one).
HOLD_LIMITS = {"UNPAID_ORDERS_PER_PHONE": 10**9, "UNPAID_ORDERS_PER_EMAIL": 10**9,
               "UNPAID_ORDERS_PER_CLIENT": 10**9, "UNPAID_UNITS_PER_PRODUCT": 0}
CONTACT = {"full_name": "Khách thử tải", "phone": "0912345678", "email": "bench@example.vn"}
ADDRESS = {"line1": "Số 1 Trần Hưng Đạo", "ward": "Phường Hồng Gai", "province": "Quảng Ninh"}


def prepare(url: str, clients: int, products: int, last_units: int):
    """Fresh schema via the real migrations, a catalogue, and one API token per client."""
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.accounts.services import create_user, issue_token
    from marketplace.catalog.models import Category, Certificate, Locality, Producer, Product
    from marketplace.extensions import db
    from marketplace.timeutil import local_today

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        loc = Locality(slug="ha-long", name="Hạ Long", kind="ward", region="Hạ Long", region_slug="ha-long")
        cat = Category(slug="food", name_vi="Thực phẩm", name_en="Food")
        db.session.add_all([loc, cat])
        db.session.flush()
        producers = [Producer(slug=f"htx-{i}", name=f"HTX {i}", kind="cooperative", locality_id=loc.id,
                              approved=True) for i in range(8)]
        db.session.add_all(producers)
        db.session.flush()
        items = [Product(slug=f"sp-{i}", name=f"Sản phẩm {i}", unit="hộp", price_vnd=50_000 + 1000 * i,
                         stock=1_000_000, status="active", category_id=cat.id,
                         producer_id=producers[i % len(producers)].id) for i in range(products)]
        scarce = Product(slug="last-units", name="Những hộp cuối cùng", unit="hộp", price_vnd=99_000,
                         stock=last_units, status="active", category_id=cat.id, producer_id=producers[0].id)
        db.session.add_all(items + [scarce])
        db.session.flush()
        # Only a product with a live (verified, unexpired) OCOP certificate is for sale.
        issued = local_today() - timedelta(days=30)
        db.session.add_all(Certificate(product_id=p.id, stars=4, certificate_no=f"BENCH-{p.id}", level="province",
                                       issued_on=issued, expires_on=Certificate.default_expiry(issued), verified=True)
                           for p in items + [scarce])
        db.session.commit()
        tokens = []
        for i in range(clients):
            user = create_user(f"bench{i}@example.vn", "mat-khau-bench", f"Khách {i}", "0912345678")
            tokens.append(issue_token(user, "bench"))
        stock_at_start = dict(db.session.execute(sa.select(Product.id, Product.stock)).all())
        return [p.id for p in items], scarce.id, tokens, stock_at_start


def in_process_checkouts(url: str, product_ids: list[int], token: str, outbox_prefix: str):
    """(app, checkout): the app on `url`, and a function that places one checkout of two
    of `product_ids` (1-2 of each) through the app's test client with the Bearer
    `token`, as the HTTP clients do, and returns the status code. Seeded: every run
    places the same baskets. For the in-process tools (profile, instruction count)."""
    from marketplace import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "MAIL_SERVER": "",
                      "MAIL_OUTBOX_DIR": tempfile.mkdtemp(prefix=outbox_prefix), **HOLD_LIMITS})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(4)

    def checkout() -> int:
        items = [{"product_id": pid, "quantity": rng.randint(1, 2)} for pid in rng.sample(product_ids, 2)]
        body = {"contact": CONTACT, "shipping_address": ADDRESS, "payment_method": "vietqr", "items": items}
        response = client.post("/api/v1/checkout", json=body, headers=headers)
        if response.status_code != 201:
            print(response.status_code, response.get_data(as_text=True)[:500], file=sys.stderr)
        return response.status_code

    return app, checkout


def server_env(url: str, outbox: str, mail: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "RATELIMIT_ENABLED": "0", "MAIL_OUTBOX_DIR": outbox,
            "MAIL_SERVER": "", "MAIL_DELIVERY": mail, "SECRET_KEY": "bench-" + "x" * 40,
            "GUNICORN_MAX_REQUESTS": "0",  # no worker recycling in the middle of a measurement
            **{name: str(value) for name, value in HOLD_LIMITS.items()}}


def start_mail_worker(env: dict, outbox: str) -> subprocess.Popen:
    """`flask mail worker`, as the Procfile runs it beside the web server; returns once it
    has started (so its start-up is not counted in the CPU per checkout)."""
    log = Path(outbox) / "worker.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "mail", "worker", "--lang", "en"],
                                cwd=ROOT, env=env, stdout=out)
    deadline = time.time() + 60
    while "looking every" not in log.read_text():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise SystemExit("flask mail worker did not start")
        time.sleep(0.2)
    return proc


def start_server(env: dict, port: int, workers: int, threads: int = 1) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wsgi:app", "-b", f"127.0.0.1:{port}", "-w", str(workers),
         "--threads", str(threads), "--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level", "warning"],
        cwd=ROOT, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def run_clients(base: str, tokens: list[str], make_items, stop_after_s: float | None = None,
                attempts_each: int | None = None):
    """Every client posts checkouts until the time is up (or it made its attempts)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(len(tokens))
    deadline = [0.0]

    def client(token: str):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        rng = random.Random(token)
        barrier.wait()
        done = 0
        while True:
            if attempts_each is not None and done >= attempts_each:
                break
            if stop_after_s is not None and time.perf_counter() >= deadline[0]:
                break
            body = {"contact": CONTACT, "shipping_address": ADDRESS, "payment_method": "vietqr",
                    "items": make_items(rng)}
            started = time.perf_counter()
            response = session.post(f"{base}/api/v1/checkout", json=body, timeout=60)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            done += 1

    threads = [threading.Thread(target=client, args=(t,)) for t in tokens]
    started = time.perf_counter()
    deadline[0] = started + (stop_after_s or 0)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, statuses, time.perf_counter() - started


def healthz_rate(base: str, clients: int, seconds: float) -> tuple[float, int]:
    """Requests per second of GET /healthz (no database, no template) from the same number of
    clients against the same server: what this machine gives a request that does nothing."""
    done = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(clients)
    deadline = [0.0]

    def client():
        session = requests.Session()
        barrier.wait()
        count = 0
        while time.perf_counter() < deadline[0]:
            if session.get(f"{base}/healthz", timeout=60).ok:
                count += 1
        with lock:
            done[0] += count

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    deadline[0] = started + seconds
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0] / (time.perf_counter() - started), done[0]


def wrk_checkouts(base: str, tokens: list[str], product_ids: list[int], clients: int, seconds: float):
    """Step 1 with wrk: (latencies summary, statuses, elapsed) from bench/checkout.lua's line."""
    command = [shutil.which("wrk"), "-t2", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
               "-s", str(ROOT / "bench" / "checkout.lua"), base, "--", ",".join(tokens),
               ",".join(map(str, product_ids))]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next((line for line in out.splitlines() if line.startswith("WRK_RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    result = json.loads(line.split(" ", 1)[1])
    statuses = {int(code): count for code, count in result["statuses"].items()}
    if result["socket_errors"]:
        statuses[0] = result["socket_errors"]  # no HTTP answer at all
    summary = {"p50": result["p50_us"] / 1e6, "p95": result["p95_us"] / 1e6, "max": result["max_us"] / 1e6}
    return summary, statuses, result["duration_us"] / 1e6


def wrk_healthz(base: str, clients: int, seconds: float) -> tuple[float, int]:
    from bench.run import wrk

    result = wrk(shutil.which("wrk"), f"{base}/healthz", max(1, round(seconds)), connections=clients)
    return result["rps"], result["requests"]


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid` (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def server_cpu(server_pid: int, url: str, mail_worker: subprocess.Popen | None = None) -> dict[str, float]:
    """CPU seconds used so far by the gunicorn workers, the mail worker (when it runs) and
    this database's PostgreSQL backends (Linux /proc; zeros elsewhere). Unlike throughput,
    CPU per checkout hardly depends on what else the machine is doing."""
    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == server_pid:
                workers.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        backends = list(conn.execute(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).scalars())
    engine.dispose()
    cpu = {"app": sum(map(cpu_seconds, workers)), "postgres": sum(map(cpu_seconds, backends))}
    if mail_worker is not None:
        cpu["mail worker"] = cpu_seconds(mail_worker.pid)
    return cpu


def unsent_mail(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM outgoing_mail WHERE status <> 'sent'")).scalar()
    engine.dispose()
    return count


def machine_load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def verify(url: str, stock_at_start: dict[int, int]) -> tuple[bool, dict[int, int]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        stock_now = dict(conn.execute(sa.text("SELECT id, stock FROM products")).all())
        ordered = dict(conn.execute(sa.text(
            "SELECT product_id, SUM(quantity) FROM order_lines GROUP BY product_id")).all())
    engine.dispose()
    ok = all(stock_now[pid] >= 0 and stock_now[pid] + int(ordered.get(pid, 0)) == start
             for pid, start in stock_at_start.items())
    return ok, stock_now


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 4)))
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per gunicorn worker (1: sync workers; more: gthread, with keep-alive)")
    parser.add_argument("--port", type=int, default=5099)
    parser.add_argument("--products", type=int, default=40)
    parser.add_argument("--last-units", type=int, default=20)
    parser.add_argument("--healthz-seconds", type=float, default=5,
                        help="how long to measure the /healthz reference")
    parser.add_argument("--driver", choices=("wrk", "python"), default="wrk" if shutil.which("wrk") else "python",
                        help="load generator of the throughput step and its reference (default: wrk when installed)")
    parser.add_argument("--mail", choices=("worker", "inline"), default="worker",
                        help="MAIL_DELIVERY: the confirmation emails sent by `flask mail worker` (as in production, "
                             "its CPU counted) or by the web workers after each commit")
    args = parser.parse_args()
    if args.driver == "wrk" and not shutil.which("wrk"):
        raise SystemExit("--driver wrk needs wrk (apt-get install wrk), or use --driver python")

    from marketplace.config import normalise_database_url

    url = normalise_database_url(args.database_url)
    name = os.path.basename(make_url(url).database or "") if url else ""
    if not url.startswith("postgresql") or not name.startswith(("test", "bench")):
        raise SystemExit("give a PostgreSQL --database-url whose database name starts with 'test' or 'bench' "
                         "(its schema is rebuilt)")

    print(f"preparing {name}: {args.products} products, {args.clients} clients …", flush=True)
    product_ids, scarce_id, tokens, stock_at_start = prepare(url, args.clients, args.products, args.last_units)
    outbox = tempfile.mkdtemp(prefix="bench-outbox-")
    env = server_env(url, outbox, args.mail)
    server = start_server(env, args.port, args.workers, args.threads)
    mail_worker = start_mail_worker(env, outbox) if args.mail == "worker" else None
    base = f"http://127.0.0.1:{args.port}"
    try:
        def basket(rng):
            return [{"product_id": pid, "quantity": rng.randint(1, 2)}
                    for pid in rng.sample(product_ids, rng.randint(1, 3))]

        # warm up each worker's connection pool and templates
        run_clients(base, tokens[: min(4, len(tokens))], basket, attempts_each=3)
        print(f"machine before: {machine_load()}")
        cpu_before = server_cpu(server.pid, url, mail_worker)
        if args.driver == "wrk":
            latency, statuses, elapsed = wrk_checkouts(base, tokens, product_ids, args.clients, args.seconds)
        else:
            latencies, statuses, elapsed = run_clients(base, tokens, basket, stop_after_s=args.seconds)
            latency = {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "max": max(latencies)}
        cpu_after = server_cpu(server.pid, url, mail_worker)
        placed = statuses.get(201, 0)
        rate, p95 = placed / elapsed, latency["p95"] * 1000
        print(f"throughput: {placed} checkouts in {elapsed:.1f} s with {args.clients} {args.driver} clients, "
              f"{args.workers} gunicorn workers x {args.threads} thread(s)")
        print(f"  checkouts/s: {rate:.1f}   (target >= {TARGET_RATE})")
        print(f"  latency p50: {latency['p50'] * 1000:.0f} ms   p95: {p95:.0f} ms   (target <= {TARGET_P95_MS} ms)"
              f"   max: {latency['max'] * 1000:.0f} ms")
        print(f"  statuses: {dict(sorted(statuses.items()))}")
        if placed:
            print("  CPU per checkout: " + ", ".join(
                f"{name} {(cpu_after[name] - cpu_before[name]) / placed * 1000:.1f} ms" for name in cpu_after))
        cpu_before = server_cpu(server.pid, url)
        measure = wrk_healthz if args.driver == "wrk" else healthz_rate
        reference, answered = measure(base, args.clients, args.healthz_seconds)
        cpu_after = server_cpu(server.pid, url)
        print(f"reference: GET /healthz on the same server and clients: {reference:.0f} requests/s "
              f"(app CPU {(cpu_after['app'] - cpu_before['app']) / max(answered, 1) * 1000:.1f} ms each); "
              f"checkouts/s is {rate / reference:.1%} of it")
        print(f"machine after: {machine_load()}")

        _, race, _ = run_clients(base, tokens, lambda rng: [{"product_id": scarce_id, "quantity": 1}],
                                 attempts_each=2)
        won = race.get(201, 0)
        print(f"last units: {args.last_units} left, {args.clients} clients x 2 attempts -> "
              f"{won} checkouts succeeded, {race.get(409, 0)} refused with 409 (others: "
              f"{ {k: v for k, v in race.items() if k not in (201, 409)} })")
        deadline = time.time() + 30
        while (unsent := unsent_mail(url)) and time.time() < deadline:
            time.sleep(0.5)
        print(f"confirmation emails: {'all sent' if not unsent else f'{unsent} NOT sent'} "
              f"(MAIL_DELIVERY={args.mail})")
    finally:
        for proc in (server, mail_worker):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)

    ok, stock_now = verify(url, stock_at_start)
    ok = ok and won == args.last_units and stock_now[scarce_id] == 0
    print(f"no oversell: {'OK' if ok else 'FAILED'} (stock of the last-units product now {stock_now[scarce_id]}; "
          "units ordered + stock left == starting stock for every product)")
    return 0 if ok and not unsent and statuses.get(500, 0) == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
