#!/usr/bin/env python3
"""The benchmark suite: one table of figures, each a ratio against a reference measured
in the same run, written to bench/results/latest.json.

    make bench          # full: 16,000 products, 15 s per HTTP figure
    make bench-quick    # quick: 4,000 products, 5 s per HTTP figure

Sections (each can be picked with --only):
- http      throughput (wrk) of the products API with a search, the API list, the product
            page, the catalogue page, a lot's passport page and its GS1 Digital Link (the
            label's QR: counts the scan, redirects) under gunicorn with 2 workers, as a share of the
            same server's /healthz (the framework ceiling; target >= 40%), measured just
            before and just after each target (the ratio uses their mean); conditional
            requests (304); and the same pages with the caches switched off (before/after).
- queries   SQL statements per request of the main pages and API lists at 5, 20 and 100
            items per page (must be constant).
- search, checkout, export   the domain benchmarks bench/search.py, bench/checkout.py and
            bench/export.py, when present, in their quick mode with --quick.

Database: $BENCH_DATABASE_URL, else PostgreSQL database bench_perf on 127.0.0.1 when it
answers (created when missing), else a SQLite file under bench/results/. Its schema is
rebuilt by the migrations on each run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
BIN = Path(PYTHON).parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_perf"
CEILING_TARGET = 0.40


# --- environment ------------------------------------------------------------------------

def need_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing the Debian package wrk ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, stdout=subprocess.DEVNULL)
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-q"], check=False, stdout=subprocess.DEVNULL)
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, stdout=subprocess.DEVNULL)
        if shutil.which("wrk"):
            return shutil.which("wrk")
    sys.exit("The HTTP benchmark needs wrk (load generator): `sudo apt-get install wrk`, then rerun.")


def database_url(explicit: str | None) -> str:
    url = explicit or os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    try:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True,
                             connect_timeout=3) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'bench_perf'").fetchone():
                conn.execute("CREATE DATABASE bench_perf")
        return DEFAULT_PG
    except Exception as exc:  # noqa: BLE001 - fall back to SQLite
        print(f"PostgreSQL not reachable ({exc.__class__.__name__}): benchmarking on SQLite", flush=True)
        RESULTS.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{RESULTS / 'bench.db'}"


def prepare_database(url: str, products: int) -> None:
    """Fresh schema from the migrations, the seed, then a catalogue of `products`."""
    import sqlalchemy as sa

    from marketplace.config import normalise_database_url

    engine = sa.create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).unlink(missing_ok=True)
    env = app_env(url)
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([PYTHON, "bench/catalogue.py", "--products", str(products)], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    reindex = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "search", "reindex"], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if reindex.returncode != 0 and "No such command" not in reindex.stderr:
        print(f"search reindex failed: {reindex.stderr[-500:]}", flush=True)


def app_env(url: str, **extra: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "RATELIMIT_ENABLED": "0", "PYTHONPATH": str(ROOT),
           "SEARCH_INDEX_DIR": str(RESULTS / "search-index"), "UPLOAD_DIR": str(RESULTS / "uploads")}
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CONNECTIONS = 16  # wrk's keep-alive connections per HTTP figure


@contextmanager
def gunicorn(url: str, workers: int = 2, even_workers: bool = True, **extra: str):
    """gunicorn for the benchmark database with these settings; yields the base URL.

    `even_workers`: each worker takes at most its share of wrk's connections. wrk opens its
    connections at once and keeps them, and a gthread worker accepts as many as it can, so
    without the cap one worker may hold all of them while the other idles: the figure then
    measures one core, by chance, for the target or for its /healthz reference. Many short
    client connections (browsers behind a proxy) spread over the workers as the cap does."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    # Worker recycling off: one /healthz reference run alone sends ~35,000 requests, so
    # gunicorn.conf.py's max_requests would restart each worker (cold caches and pools)
    # in the middle of the measurements around it.
    extra.setdefault("GUNICORN_MAX_REQUESTS", "0")
    if even_workers:
        extra.setdefault("GUNICORN_CMD_ARGS", f"--worker-connections {max(1, CONNECTIONS // workers)}")
    with gunicorn_server(app_env(url, **extra), RESULTS / "gunicorn.log", workers=workers, access_log=False) as base:
        yield base


@contextmanager
def gunicorn_server(env: dict, log_path: Path, workers: int = 2, access_log: bool = True):
    """gunicorn (the project's gunicorn.conf.py) on a free loopback port, stopped on exit;
    yields the base URL. Also used by scripts/scale_demo.py."""
    port = int(os.environ.get("BENCH_PORT") or 0) or free_port()
    log = open(log_path, "a")
    env = {**env, "WEB_CONCURRENCY": str(workers), "BIND": f"127.0.0.1:{port}"}
    process = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--access-logfile",
                                "-" if access_log else "/dev/null", "wsgi:app"],
                               cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz", process, log_path)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def wait_until_up(url: str, process, log_path: Path, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}); see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer in time")


# --- HTTP throughput --------------------------------------------------------------------

def wrk(wrk_bin: str, url: str, seconds: int, connections: int = CONNECTIONS, headers: dict | None = None) -> dict:
    command = [wrk_bin, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    answered = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "requests": answered, "p50_ms": _ms(p50), "p99_ms": _ms(p99),
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


def _ms(match) -> float | None:
    if not match:
        return None
    value, unit = float(match.group(1)), match.group(2)
    return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 2)


def discover_pages(url: str) -> dict[str, str]:
    """Paths of the pages to load: a product's page and the catalogue page, if the shop has them."""
    from marketplace import create_app
    from marketplace.catalog.listing import BrowseParams, browse

    app = create_app({"SQLALCHEMY_DATABASE_URI": _normalise(url), "SERVER_NAME": "bench.local"})
    paths: dict[str, str] = {}
    with app.app_context(), app.test_request_context():
        from flask import url_for

        product = browse(BrowseParams(sort="bestselling", per_page=1), with_facets=False).items[0]
        for name, endpoint, kwargs in (("product page", "catalog.product", {"slug": product.slug}),
                                       ("catalogue page", "catalog.products", {}),
                                       ("home page", "catalog.home", {})):
            if name in paths:
                continue
            try:
                paths[name] = url_for(endpoint, **kwargs, _external=False)
            except Exception:  # noqa: BLE001 - the shop page is not there (yet)
                continue
        paths.update(traceability_paths(product))
    return paths


BENCH_GTIN = "8930000000019"  # 893 (Vietnam) ... with its GS1 check digit


def traceability_paths(product) -> dict[str, str]:
    """A lot of the best-selling product (made once, with a GTIN on the product): its passport
    page, and the signed GS1 Digital Link a label's QR carries (counts a scan, redirects)."""
    from urllib.parse import urlsplit

    import sqlalchemy as sa

    from marketplace.accounts.models import User
    from marketplace.extensions import db
    from marketplace.traceability import links, lots
    from marketplace.traceability.models import Lot
    from marketplace.timeutil import local_today

    lot = db.session.scalar(sa.select(Lot).where(Lot.product_id == product.id, Lot.code == "BENCH-1"))
    if lot is None:
        actor = db.session.scalar(sa.select(User).where(User.role == "admin"))
        if product.gtin is None:
            lots.set_gtin(product, actor, BENCH_GTIN)
        today = local_today()
        lot = lots.create_lot(product.producer_id, product.id, actor, {
            "code": "BENCH-1", "produced_on": today.isoformat(), "best_before": today.replace(year=today.year + 1)
            .isoformat(), "quantity": 10_000_000, "process": ["Thu hoạch", "Đóng gói"], "inputs": ["Nguyên liệu"]})
    link = urlsplit(links.digital_link(lot, signed=True))
    return {"passport page": f"/lots/{lot.id}", "Digital Link resolve": f"{link.path}?{link.query}"}


def _normalise(url: str) -> str:
    from marketplace.config import normalise_database_url

    return normalise_database_url(url)


def http_section(url: str, quick: bool, figures: list, details: dict) -> None:
    wrk_bin = need_wrk()
    seconds = 5 if quick else 15
    pages = discover_pages(url)
    targets = [("search API", "/api/v1/products?q=tr%C3%A0%20hoa%20v%C3%A0ng"),
               ("products API list", "/api/v1/products?per_page=20&sort=bestselling")]
    targets += [(name, path) for name, path in pages.items()]
    missing = {"product page", "catalogue page"} - set(pages)
    for name in sorted(missing):
        figures.append(row("http", f"{name} (not in this build)", None, "req/s", None, None))

    import urllib.request

    def bracketed(base: str, path: str, last_healthz: dict, headers: dict | None = None) -> tuple[dict, dict]:
        """wrk on `path`, then on /healthz again: the target's ceiling is the mean of the /healthz
        runs just before and just after it, so a machine whose load changes during the run
        (other jobs) moves target and reference together."""
        result = wrk(wrk_bin, base + path, seconds, headers=headers)
        after = wrk(wrk_bin, base + "/healthz", seconds)
        result["ceiling"] = (last_healthz["rps"] + after["rps"]) / 2
        result["healthz_before"], result["healthz_after"] = last_healthz["rps"], after["rps"]
        return result, after

    def run_all(base: str, label: str) -> dict:
        # Warm each worker's connection pool and caches, then measure.
        for _, path in targets:
            for _ in range(4):
                urllib.request.urlopen(base + path, timeout=30).read()
        healthz = wrk(wrk_bin, base + "/healthz", seconds)
        results = {"healthz": healthz}
        for name, path in targets:
            results[name], healthz = bracketed(base, path, healthz)
        results["healthz_runs"] = [results["healthz"]["rps"]] + [results[n]["healthz_after"] for n, _ in targets]
        details[f"http {label}"] = results
        return results

    with gunicorn(url) as base:
        cached = run_all(base, "cached")
        api_list = targets[1][1]
        etag = urllib.request.urlopen(base + api_list, timeout=30).headers.get("ETag")
        conditional = None
        if etag:
            conditional, _ = bracketed(base, api_list, wrk(wrk_bin, base + "/healthz", seconds),
                                       headers={"If-None-Match": etag})
    redis_url = bench_redis()
    shared = None
    if redis_url:
        with gunicorn(url, REDIS_URL=redis_url) as base:
            shared = run_all(base, "cached, Redis")
    with gunicorn(url, CACHE_ENABLED="0", HTTP_CACHE_ENABLED="0") as base:
        uncached = run_all(base, "uncached")

    runs = cached["healthz_runs"]
    ceiling = sum(runs) / len(runs)
    figures.append(row("http", "/healthz (framework ceiling, mean of runs)", ceiling, "req/s", 1.0, None,
                       p50=cached["healthz"]["p50_ms"], p99=cached["healthz"]["p99_ms"],
                       low=min(runs), high=max(runs)))
    for name, _ in targets:
        r = cached[name]
        target = CEILING_TARGET if name in ("search API", "products API list", "catalogue page", "product page",
                                            "passport page", "Digital Link resolve") else None
        figures.append(row("http", f"{name} / ceiling", r["rps"], "req/s", r["rps"] / r["ceiling"], target,
                           p50=r["p50_ms"], p99=r["p99_ms"], errors=r["non_2xx"], ceiling=round(r["ceiling"], 1)))
    if conditional:
        figures.append(row("http", "products API list, If-None-Match (304) / ceiling", conditional["rps"], "req/s",
                           conditional["rps"] / conditional["ceiling"], None, p50=conditional["p50_ms"],
                           p99=conditional["p99_ms"], ceiling=round(conditional["ceiling"], 1)))
    if shared:
        for name, _ in targets:
            r = shared[name]
            figures.append(row("http", f"{name}, cache in Redis / ceiling", r["rps"], "req/s",
                               r["rps"] / r["ceiling"], None, p50=r["p50_ms"], p99=r["p99_ms"],
                               ceiling=round(r["ceiling"], 1)))
    for name, _ in targets:
        before = uncached[name]["rps"] / uncached[name]["ceiling"]
        after = cached[name]["rps"] / cached[name]["ceiling"]
        figures.append(row("cache", f"{name}: no caches / ceiling", uncached[name]["rps"], "req/s", before, None,
                           p50=uncached[name]["p50_ms"], p99=uncached[name]["p99_ms"]))
        figures.append(row("cache", f"{name}: with caches / without", cached[name]["rps"], "req/s",
                           after / before if before else None, None,
                           before=round(before, 3), after=round(after, 3)))


def bench_redis() -> str | None:
    """$BENCH_REDIS_URL (default Redis database 9 on 127.0.0.1:6379), emptied, when a Redis
    answers there (on a shared machine, give each run a database of its own)."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.flushdb()
        return url
    except Exception:  # noqa: BLE001 - the Redis figures are left out
        print("No Redis on 127.0.0.1:6379: skipping the shared-cache (Redis) figures", flush=True)
        return None


# --- SQL queries per request ------------------------------------------------------------

def queries_section(url: str, figures: list, details: dict) -> None:
    import sqlalchemy as sa

    from marketplace import create_app
    from marketplace.extensions import db

    # Production settings, with the shared cache cold (every count and facet query runs).
    app = create_app({"SQLALCHEMY_DATABASE_URI": _normalise(url), "CACHE_ENABLED": False,
                      "RATELIMIT_ENABLED": False})
    pages = discover_pages(url)
    lists = {"API products": "/api/v1/products?per_page={n}",
             "API products, search": "/api/v1/products?q=tr%C3%A0&per_page={n}",
             "API producers": "/api/v1/producers?per_page={n}"}
    singles = {"API categories": "/api/v1/categories", **{k: v for k, v in pages.items()}}
    if "catalogue page" in pages:
        lists["catalogue page"] = pages["catalogue page"] + "?per_page={n}"
        singles.pop("catalogue page")
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn, _cursor, statement, *_):
        statements.append(statement)

    client = app.test_client()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        for name, template in lists.items():
            counts = {}
            for n in (5, 20, 100):
                client.get(template.format(n=n))  # warm
                statements.clear()
                response = client.get(template.format(n=n))
                counts[n] = len(statements) if response.status_code == 200 else None
            constant = len(set(counts.values())) == 1 and None not in counts.values()
            details.setdefault("queries", {})[name] = counts
            figures.append(row("queries", f"{name}: queries at 5/20/100 per page",
                               counts[100], "queries", counts[100] / counts[5] if counts[5] else None, 1.0,
                               per_page=counts, constant=constant))
        for name, path in singles.items():
            client.get(path)
            statements.clear()
            response = client.get(path)
            figures.append(row("queries", f"{name}: queries", len(statements), "queries", None, None,
                               status=response.status_code))
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


# --- the domain benchmarks --------------------------------------------------------------

NUMBER = r"(-?\d+(?:[.,]\d+)?)"


def ensure_database(name: str) -> str | None:
    """A PostgreSQL database for a domain benchmark that rebuilds its own schema."""
    try:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True,
                             connect_timeout=3) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    except Exception:  # noqa: BLE001
        return None


def checkout_figures(stdout: str, ceiling: float | None) -> list[tuple]:
    """bench/checkout.py prints `checkouts/s: X`, `p95: Y ms` and `no oversell: OK|FAILED`."""
    rate = re.search(r"checkouts/s:\s*([\d.]+)", stdout)
    p95 = re.search(r"p95:\s*([\d.]+)\s*ms", stdout)
    oversell = re.search(r"no oversell:\s*(OK|FAILED)", stdout)
    figures = []
    if rate:
        value = float(rate.group(1))
        figures.append(("checkouts/s (32 clients) / ceiling", value, "/s", value / ceiling if ceiling else None,
                        None, {"issue_target": ">= 150/s", "meets_issue_target": value >= 150}))
    if p95:
        value = float(p95.group(1))
        figures.append(("checkout p95 latency", value, "ms", None, None,
                        {"issue_target": "<= 150 ms", "meets_issue_target": value <= 150}))
    if oversell:
        figures.append(("no oversell (last units race, stock conservation)", oversell.group(1), "", None, None, {}))
    return figures


def search_figures(stdout: str) -> list[tuple]:
    """bench/search.py prints `<backend ...>: median X ms, p95 Y ms` per backend and
    `whoosh p95 / FTS5 p95 = Zx` (FTS5 is the reference measured in the same run)."""
    figures = []
    for label, median, p95 in re.findall(r"^(\S[^\n]*?): median ([\d.]+) ms, p95 ([\d.]+) ms", stdout, re.M):
        figures.append((f"{label[:60]} p95", float(p95), "ms", None, None, {"median_ms": float(median)}))
    ratio = re.search(r"whoosh p95 / FTS5 p95 = ([\d.]+)x", stdout)
    if ratio:
        value = float(ratio.group(1))
        figures.append(("whoosh p95 / FTS5 p95", value, "x", value, None,
                        {"issue_target": "<= 3x", "meets_issue_target": value <= 3}))
    return figures


def export_figures(stdout: str) -> list[tuple]:
    """bench/export.py prints `export <level> <fmt>: N rows in X s (cpu …), peak RSS Y MB, …`;
    ratios are shares of the issue's budget (60 s, 250 MB for 1,000,000 lines)."""
    figures = []
    for level, fmt, rows, seconds, peak in re.findall(
            r"export (\w+) (\w+): (\d+) rows in ([\d.]+) s\b.*?, peak RSS ([\d.]+) MB", stdout):
        figures.append((f"export {level} {fmt} ({int(rows):,} rows): time / 60 s", float(seconds), "s",
                        float(seconds) / 60, None, {}))
        figures.append((f"export {level} {fmt}: peak memory / 250 MB", float(peak), "MB", float(peak) / 250, None,
                        {}))
    return figures


def domain_section(name: str, quick: bool, url: str, figures: list, details: dict) -> None:
    script = ROOT / "bench" / f"{name}.py"
    if not script.exists():
        figures.append(row(name, f"bench/{name}.py (not in this build)", None, "", None, None))
        return
    command = [PYTHON, str(script)]
    if name == "checkout":
        database = ensure_database("bench_perf_checkout")
        if database is None:
            figures.append(row(name, "bench/checkout.py needs PostgreSQL (not reachable)", None, "", None, None))
            return
        command += ["--database-url", database, "--workers", "2", "--port", str(free_port()),
                    "--seconds", "5" if quick else "15"]
    elif name == "search":
        command += ["--products", "4000", "--rounds", "2"] if quick else []
        database = ensure_database("bench_perf_search")
        if database:
            command += ["--postgres", database]
    elif name == "export":
        command += ["--lines", "100000" if quick else "1000000"]
    elif quick:
        command.append("--quick")
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=3600)
    elapsed = time.monotonic() - started
    details[name] = {"command": " ".join(command[1:]), "returncode": done.returncode,
                     "stdout": done.stdout[-6000:], "stderr": done.stderr[-3000:], "seconds": round(elapsed, 1)}
    if name == "checkout":
        ceiling = next((f["value"] for f in figures if f["name"].startswith("/healthz")), None)
        parsed = checkout_figures(done.stdout, ceiling)
    elif name == "search":
        parsed = search_figures(done.stdout)
    elif name == "export":
        parsed = export_figures(done.stdout)
    else:
        parsed = [(*fig, {}) for fig in parse_domain_output(done.stdout)]
    if done.returncode != 0:
        figures.append(row(name, f"bench/{name}.py failed (exit {done.returncode})", None, "", None, None))
    elif not parsed:
        figures.append(row(name, f"bench/{name}.py ran ({elapsed:.0f} s): see details", None, "", None, None))
    for label, value, unit, ratio, target, extra in parsed:
        figures.append(row(name, label, value, unit, ratio, target, **extra))


def parse_domain_output(stdout: str) -> list[tuple]:
    """Figures from a domain benchmark: its JSON summary line ({"figures": [...]}) when it
    prints one, else lines of the form `label: value unit (... x ...)`."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                data = json.loads(line)
            except ValueError:
                continue
            out = []
            for fig in data.get("figures", []):
                out.append((fig.get("name"), fig.get("value"), fig.get("unit", ""), fig.get("ratio"),
                            fig.get("target")))
            if out:
                return out
    return []


# --- the table ----------------------------------------------------------------------------

def row(section: str, name: str, value, unit: str, ratio, target, **extra) -> dict:
    return {"section": section, "name": name, "value": round(value, 2) if isinstance(value, float) else value,
            "unit": unit, "ratio": round(ratio, 3) if isinstance(ratio, float) else ratio, "target": target,
            **extra}


def verdict(fig: dict) -> str:
    if fig.get("constant") is False:
        return "GROWS"
    if "meets_issue_target" in fig:
        return ("ok " if fig["meets_issue_target"] else "MISS ") + fig["issue_target"]
    if fig["value"] in ("OK", "FAILED"):
        return "ok" if fig["value"] == "OK" else "FAILED"
    target, ratio = fig.get("target"), fig.get("ratio")
    if target is None or ratio is None:
        return ""
    if fig["section"] == "queries":
        return "ok" if fig.get("constant") else "GROWS"
    return "ok" if ratio >= target else f"MISS by {target - ratio:.0%}"


def print_table(figures: list) -> None:
    width = max(len(f["name"]) for f in figures) + 2
    print()
    print(f"{'section':<9} {'figure':<{width}} {'value':>12} {'ratio':>8} {'target':>8}  verdict")
    print("-" * (width + 50))
    for fig in figures:
        value = "" if fig["value"] is None else f"{fig['value']:,}" if isinstance(fig["value"], int) else \
            f"{fig['value']:,.1f}" if isinstance(fig["value"], float) else str(fig["value"])
        ratio = "" if fig["ratio"] is None else f"{fig['ratio']:.2f}"
        target = "" if fig["target"] is None else f">={fig['target']:.2f}" if fig["section"] != "queries" else "const"
        unit = f" {fig['unit']}" if fig["unit"] and value else ""
        print(f"{fig['section']:<9} {fig['name']:<{width}} {value + unit:>12} {ratio:>8} {target:>8}  {verdict(fig)}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller catalogue, shorter runs")
    parser.add_argument("--only", default="http,queries,search,checkout,export",
                        help="comma-separated sections (http, queries, search, checkout, export)")
    parser.add_argument("--database", help="database URL (default: $BENCH_DATABASE_URL, bench_perf, SQLite)")
    parser.add_argument("--products", type=int, help="catalogue size (default 16000; 4000 with --quick)")
    parser.add_argument("--keep-data", action="store_true", help="reuse the benchmark database as it is")
    args = parser.parse_args()
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    products = args.products or (4000 if args.quick else 16000)
    url = database_url(args.database)
    RESULTS.mkdir(parents=True, exist_ok=True)
    figures: list[dict] = []
    details: dict = {"database": url.split("@")[-1], "products": products, "quick": args.quick,
                     "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if {"http", "queries"} & set(sections) and not args.keep_data:
        print(f"Preparing {products} products in {url.split('@')[-1]} ...", flush=True)
        prepare_database(url, products)
    for section in sections:
        print(f"Running {section} ...", flush=True)
        started = time.monotonic()
        if section == "http":
            http_section(url, args.quick, figures, details)
        elif section == "queries":
            queries_section(url, figures, details)
        elif section in ("search", "checkout", "export"):
            domain_section(section, args.quick, url, figures, details)
        else:
            sys.exit(f"unknown section {section!r}")
        details.setdefault("seconds", {})[section] = round(time.monotonic() - started, 1)
    print_table(figures)
    out = RESULTS / "latest.json"
    out.write_text(json.dumps({"figures": figures, "details": details}, ensure_ascii=False, indent=2))
    print(f"Written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
