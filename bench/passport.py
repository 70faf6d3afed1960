#!/usr/bin/env python3
"""Benchmark: a lot's passport page and its GS1 Digital Link against /healthz, alone.

    .venv/bin/python bench/passport.py [--database URL] [--products 400] [--seconds 5]

The same measurement as the passport rows of `make bench` (bench/run.py: gunicorn with 2
workers, wrk with 16 connections, each target bracketed by /healthz runs just before and
just after it), without the rest of the suite, so that it can be repeated on its own while
working on the passport. Prints each target's requests/s, its ratio to the mean of the
bracketing /healthz runs (target >= 0.40), and the load average before and after.
Database: --database, else $BENCH_DATABASE_URL, else a SQLite file under bench/results/.

Each worker takes at most its share of wrk's connections, as in `make bench` (why: the
docstring of bench/run.py's gunicorn()); `--uneven-workers` lifts the cap.
"""
from __future__ import annotations

import argparse
import os
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (CEILING_TARGET, CONNECTIONS, RESULTS, discover_pages, gunicorn,  # noqa: E402
                       need_wrk, prepare_database, wrk)

WORKERS = 2  # as bench/run.py's gunicorn()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--products", type=int, default=400)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--keep-data", action="store_true", help="reuse the benchmark database as it is")
    parser.add_argument("--uneven-workers", action="store_true",
                        help=f"let one of the {WORKERS} workers take more than {CONNECTIONS // WORKERS} of wrk's "
                        "connections")
    args = parser.parse_args()
    wrk_bin = need_wrk()
    RESULTS.mkdir(parents=True, exist_ok=True)
    url = args.database or f"sqlite:///{RESULTS / 'passport.db'}"
    if not args.keep_data:
        prepare_database(url, args.products)
    pages = discover_pages(url)
    targets = [(name, pages[name]) for name in ("passport page", "Digital Link resolve")]
    load_before = os.getloadavg()
    rows = []
    with gunicorn(url, workers=WORKERS, even_workers=not args.uneven_workers) as base:
        for _, path in targets:
            for _ in range(4):  # warm both workers
                urllib.request.urlopen(base + path, timeout=30).read()
        healthz = wrk(wrk_bin, base + "/healthz", args.seconds, CONNECTIONS)
        for name, path in targets:
            result = wrk(wrk_bin, base + path, args.seconds, CONNECTIONS)
            after = wrk(wrk_bin, base + "/healthz", args.seconds, CONNECTIONS)
            ceiling = (healthz["rps"] + after["rps"]) / 2
            rows.append((name, result, ceiling))
            healthz = after
    load_after = os.getloadavg()
    mode = "; uneven workers" if args.uneven_workers else ""
    print(f"database: {url.split('@')[-1]}{mode}; load average before {load_before[0]:.2f}, "
          f"after {load_after[0]:.2f}")
    for name, result, ceiling in rows:
        ratio = result["rps"] / ceiling
        verdict = "ok" if ratio >= CEILING_TARGET else "MISS"
        print(f"{name}: {result['rps']:.0f} req/s, /healthz {ceiling:.0f} req/s, ratio {ratio:.2f} "
              f"(target >= {CEILING_TARGET:.2f}: {verdict}), p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
              f"non-2xx/3xx {result['non_2xx']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
