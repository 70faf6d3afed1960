"""Search API throughput on the PostgreSQL search backend, as a share of /healthz.

    .venv/bin/python bench/search_http.py --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_http
    .venv/bin/python bench/search_http.py --database URL --keep-data --seconds 10

Builds the catalogue as `bench/run.py` does (migrations, seed, `bench/catalogue.py`,
`flask search reindex`; the database given is emptied) with SEARCH_BACKEND=postgres,
starts gunicorn (2 workers) and drives it with wrk: /healthz, then the search API for
each query, then /healthz again; a query's ratio is its rate over the mean of the
/healthz runs around it. Measured with the response caches on (as served) and off
(every request runs the search).
"""
from __future__ import annotations

import argparse
import os
import sys
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import gunicorn, need_wrk, prepare_database, wrk  # noqa: E402

QUERIES = ["trà hoa vàng", "mat ong", "tra", "nuoc mam ha long", "tra hao vang"]
TARGET = 0.40


def measure(url: str, seconds: int, label: str, **settings: str) -> list[tuple[str, float, float]]:
    wrk_bin = need_wrk()
    rows = []
    with gunicorn(url, SEARCH_BACKEND="postgres", **settings) as base:
        paths = [f"/api/v1/products?q={urllib.parse.quote(q)}" for q in QUERIES]
        for path in paths:  # warm both workers' pools, plans and phrase lists
            for _ in range(4):
                urllib.request.urlopen(base + path, timeout=60).read()
        before = wrk(wrk_bin, base + "/healthz", seconds)["rps"]
        for query, path in zip(QUERIES, paths):
            result = wrk(wrk_bin, base + path, seconds)
            after = wrk(wrk_bin, base + "/healthz", seconds)["rps"]
            ceiling = (before + after) / 2
            rows.append((f"{label}: q={query}", result["rps"], result["rps"] / ceiling))
            print(f"{label:<12} q={query:<20} {result['rps']:8.1f} req/s  /healthz {ceiling:8.1f}  "
                  f"ratio {result['rps'] / ceiling:5.2f}  p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms  "
                  f"non-2xx {result['non_2xx']}", flush=True)
            before = after
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="PostgreSQL URL (emptied unless --keep-data)")
    parser.add_argument("--products", type=int, default=16_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--keep-data", action="store_true", help="reuse the database as it is")
    args = parser.parse_args()
    os.environ["SEARCH_BACKEND"] = "postgres"  # the catalogue's reindex fills search_documents
    if not args.keep_data:
        print(f"Preparing {args.products} products ...", flush=True)
        prepare_database(args.database, args.products)
    rows = measure(args.database, args.seconds, "cached")
    rows += measure(args.database, args.seconds, "uncached", CACHE_ENABLED="0", HTTP_CACHE_ENABLED="0")
    worst = min(ratio for _, _, ratio in rows)
    print(f"\nlowest ratio {worst:.2f} (target >= {TARGET:.2f}): {'met' if worst >= TARGET else 'missed'}")


if __name__ == "__main__":
    main()
