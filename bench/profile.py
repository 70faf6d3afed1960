#!/usr/bin/env python3
"""Profile the hot paths with pyinstrument: where a request's time goes.

    make profile                                   # after `make bench` (uses its database)
    .venv/bin/python bench/profile.py --path "/api/v1/products?q=tra" --requests 50

Runs each path in-process (Flask test client, production settings, shared cache cold
or warm as chosen) against the benchmark database and writes one HTML profile per path
to bench/results/profiles/, printing the text summary. Profiles taken this way showed
the listing's page query sorting every wide joined row (fixed by a late row lookup and
sort indexes) and three database round trips per cached answer (fixed by reading the
catalogue version outside a transaction, or from Redis).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import RESULTS, _normalise, database_url, discover_pages  # noqa: E402

DEFAULT_PATHS = ("/api/v1/products?per_page=20&sort=bestselling", "/api/v1/products?q=tr%C3%A0%20hoa%20v%C3%A0ng",
                 "/api/v1/categories")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", action="append", help="path to profile (repeatable); default: main pages")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warm", action="store_true", help="shared cache on (profile cache hits)")
    parser.add_argument("--database", help="database URL (default as bench/run.py)")
    args = parser.parse_args()
    from pyinstrument import Profiler

    from marketplace import create_app

    url = database_url(args.database)
    paths = args.path or [*DEFAULT_PATHS, *discover_pages(url).values()]
    app = create_app({"SQLALCHEMY_DATABASE_URI": _normalise(url), "RATELIMIT_ENABLED": False,
                      "CACHE_ENABLED": args.warm, "HTTP_CACHE_ENABLED": args.warm})
    client = app.test_client()
    out = RESULTS / "profiles"
    out.mkdir(parents=True, exist_ok=True)
    for index, path in enumerate(paths):
        client.get(path)  # warm connections and imports
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(args.requests):
            status = client.get(path).status_code
        profiler.stop()
        session = profiler.last_session
        target = out / f"profile-{index}.html"
        target.write_text(profiler.output_html())
        print(f"=== {path}  (HTTP {status}, {session.duration / args.requests * 1000:.1f} ms/request wall, "
              f"{session.cpu_time / args.requests * 1000:.1f} ms CPU) -> {target.relative_to(ROOT)}")
        print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
