#!/usr/bin/env python3
"""Profile one checkout (pyinstrument) and count its SQL statements.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_orders \
        .venv/bin/python bench/profile_checkout.py --requests 200

Rebuilds the given database as bench/checkout.py does (its name must start with
"test" or "bench"), then places checkouts in-process through the Flask test client
with a Bearer token, as the benchmark's clients do. Prints the CPU time per
checkout (this process's user and system time, and that of the machine's PostgreSQL
processes), the SQL statements of one checkout, and the profile's text summary; the
HTML profile goes to bench/results/profiles/checkout.html.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.checkout import cpu_seconds, in_process_checkouts, prepare  # noqa: E402


def postgres_cpu_seconds() -> float:
    """CPU seconds used so far by every PostgreSQL process of this machine (Linux /proc):
    user space only is what callgrind counts; this catches the kernel's and the server's
    share of each round trip too."""
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "postgres":
                pids.append(int(comm.parent.name))
        except OSError:
            continue
    return sum(map(cpu_seconds, pids))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--products", type=int, default=40)
    args = parser.parse_args()
    import sqlalchemy as sa
    from pyinstrument import Profiler
    from sqlalchemy.engine import make_url

    from marketplace.config import normalise_database_url
    from marketplace.extensions import db

    url = normalise_database_url(args.database_url)
    if not os.path.basename(make_url(url).database or "").startswith(("test", "bench")):
        raise SystemExit("give a --database-url whose database name starts with 'test' or 'bench' (it is rebuilt)")
    product_ids, _scarce, tokens, _stock = prepare(url, 1, args.products, 5)
    app, checkout = in_process_checkouts(url, product_ids, tokens[0], "profile-outbox-")

    for _ in range(5):
        assert checkout() == 201  # warm connections, templates and imports

    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split())[:110])

    sa.event.listen(engine, "before_cursor_execute", count)
    assert checkout() == 201
    sa.event.remove(engine, "before_cursor_execute", count)
    print(f"SQL statements in one checkout of 2 products: {len(statements)}")
    for text in statements:
        print("   ", text)

    times0, pg0, wall0 = os.times(), postgres_cpu_seconds(), time.perf_counter()
    for _ in range(args.requests):
        assert checkout() == 201
    times1, pg1, wall = os.times(), postgres_cpu_seconds(), time.perf_counter() - wall0
    per = 1000 / args.requests
    print(f"{args.requests} checkouts: {wall * per:.2f} ms wall, CPU per checkout (no profiler): this process "
          f"{(times1.user - times0.user) * per:.2f} ms user + {(times1.system - times0.system) * per:.2f} ms "
          f"system, PostgreSQL {(pg1 - pg0) * per:.2f} ms (all its processes on this machine)")

    profiler = Profiler(interval=0.0005)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    profiler.start()
    for _ in range(args.requests):
        assert checkout() == 201
    profiler.stop()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(f"{args.requests} checkouts: {wall / args.requests * 1000:.1f} ms wall, "
          f"{cpu / args.requests * 1000:.1f} ms CPU of this process per checkout (profiler on)")
    out = ROOT / "bench" / "results" / "profiles"
    out.mkdir(parents=True, exist_ok=True)
    (out / "checkout.html").write_text(profiler.output_html())
    print(profiler.output_text(unicode=False, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
