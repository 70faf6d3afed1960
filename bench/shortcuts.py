#!/usr/bin/env python3
"""Do the checkout's performance shortcuts earn their place? (issue 18, item 6)

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_shortcuts \
        .venv/bin/python bench/shortcuts.py --requests 300 --rounds 3

Rebuilds the given database as bench/checkout.py does (its name must start with "test"
or "bench") and places checkouts in-process through the test client with a Bearer
token. Each shortcut is compared with the plain way of doing the same job:

- `rows`: checkout/rows.py's hand-built INSERTs (one statement on PostgreSQL) against the
  ORM's unit of work (`session.add(order)`, flushed at commit);
- `statements`: the checkout's statements built once at import, against building them on
  every call (measured directly: the cost of building them, per checkout).

The variants run interleaved, `--rounds` times each; printed are the medians over rounds
of the CPU per checkout of this process (user + system) and of the machine's PostgreSQL
processes, and the wall time. On a shared machine the wall time and the PostgreSQL CPU
carry other people's work; the app's CPU is the steadiest figure. A shortcut is worth
keeping when the plain way costs ≥ 10% more per checkout.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.checkout import in_process_checkouts, prepare  # noqa: E402
from bench.profile_checkout import postgres_cpu_seconds  # noqa: E402


@contextmanager
def plain_rows():
    from marketplace.checkout import rows, services
    from marketplace.extensions import db

    def orm_write(order, attempt):
        db.session.add(order)
        if attempt is not None:
            db.session.add(attempt)
        db.session.flush()

    saved, services.rows = services.rows, type("PlainRows", (), {"write": staticmethod(orm_write)})
    try:
        yield
    finally:
        services.rows = saved
        assert services.rows is rows


@contextmanager
def as_is():
    yield


VARIANTS = {"shortcuts (as is)": as_is, "rows: ORM unit of work": plain_rows}


def statement_build_cost(repeat: int = 2000) -> float:
    """Seconds of CPU to build the checkout's import-time statements once, with the cache key
    SQLAlchemy computes on each execution to find the compiled form."""
    from marketplace.checkout.limits import unpaid_statements
    from marketplace.checkout.services import products_to_sell_statement, reserve_statement

    def build():
        for statement in (products_to_sell_statement(), reserve_statement(), *unpaid_statements()):
            statement._generate_cache_key()

    build()
    start = time.process_time()
    for _ in range(repeat):
        build()
    return (time.process_time() - start) / repeat


def cpu_per_checkout(checkout, requests: int) -> tuple[float, float, float]:
    """(app CPU, PostgreSQL CPU, wall) per checkout, in seconds."""
    times0, pg0, wall0 = os.times(), postgres_cpu_seconds(), time.perf_counter()
    for _ in range(requests):
        assert checkout() == 201
    times1, pg1 = os.times(), postgres_cpu_seconds()
    wall = time.perf_counter() - wall0
    app_cpu = (times1.user - times0.user) + (times1.system - times0.system)
    return app_cpu / requests, (pg1 - pg0) / requests, wall / requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--products", type=int, default=400)
    args = parser.parse_args()
    from sqlalchemy.engine import make_url

    from marketplace.config import normalise_database_url

    url = normalise_database_url(args.database_url)
    if not os.path.basename(make_url(url).database or "").startswith(("test", "bench")):
        raise SystemExit("give a --database-url whose database name starts with 'test' or 'bench' (it is rebuilt)")
    product_ids, _scarce, tokens, _stock = prepare(url, 1, args.products, 5)
    app, checkout = in_process_checkouts(url, product_ids, tokens[0], "shortcuts-outbox-")
    with app.app_context():
        for _ in range(20):
            assert checkout() == 201  # warm connections, templates and imports
        samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in VARIANTS}
        for _round in range(args.rounds):
            for name, variant in VARIANTS.items():
                with variant():
                    assert checkout() == 201
                    samples[name].append(cpu_per_checkout(checkout, args.requests))
        build = statement_build_cost()
    def med(rows, i):
        return statistics.median(row[i] for row in rows) * 1000

    base = med(samples["shortcuts (as is)"], 0)
    print(f"{args.requests} checkouts x {args.rounds} rounds per variant, medians of the rounds, ms per checkout.")
    print("App CPU is this process's (user + system); PostgreSQL CPU is every postgres process of the machine")
    print("(other work on a shared machine shows there too).")
    print(f"  {'variant':28} {'app CPU':>8} {'vs as is':>9} {'PG CPU':>8} {'wall':>8}")
    for name, rows in samples.items():
        app_cpu = med(rows, 0)
        print(f"  {name:28} {app_cpu:8.2f} {100 * (app_cpu - base) / base:+8.1f}% {med(rows, 1):8.2f} "
              f"{med(rows, 2):8.2f}")
    print(f"  statements: building the 4 import-time statements on every call costs {build * 1e6:.0f} µs of "
          f"CPU = {100 * build * 1000 / base:.1f}% of the app CPU of a checkout")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
