#!/usr/bin/env python3
"""Count the CPU instructions of one checkout (valgrind's callgrind): a figure that does
not move with the machine's load, for comparing two versions of the checkout code.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_orders \\
        .venv/bin/python bench/instructions_checkout.py --requests 100

Rebuilds the given database as bench/checkout.py does (its name must start with "test"
or "bench"), then runs itself again under `valgrind --tool=callgrind` with the
instrumentation off: the app starts and places 20 checkouts to warm up at full speed,
the instrumentation is switched on (`callgrind_control -i on`) for the measured
checkouts only, and the count is divided by their number. The checkouts are those of
bench/profile_checkout.py: in-process through the Flask test client with a Bearer
token, 2 products (1-2 of each), the same baskets every run (PYTHONHASHSEED=0, seeded choice).
Only this process is counted, not PostgreSQL. The confirmation email is sent as
MAIL_DELIVERY says (default inline: built and written after each commit; with
MAIL_DELIVERY=worker in the environment only queued, as in production, where
`flask mail worker` sends it). About a minute per 100 checkouts.
Successive runs of the same code agree within about 1%.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.checkout import in_process_checkouts, prepare  # noqa: E402

WARM_UP = 20


def measured_run(url: str, state: dict, requests: int) -> None:
    """The part that runs under callgrind."""
    _app, place = in_process_checkouts(url, state["product_ids"], state["token"], "instructions-outbox-")

    def checkout() -> None:
        status = place()
        if status != 201:
            raise SystemExit(f"a checkout answered {status}")

    for _ in range(WARM_UP):
        checkout()
    control = ["callgrind_control", "-i"]
    subprocess.run([*control, "on", str(os.getpid())], check=True, capture_output=True)
    for _ in range(requests):
        checkout()
    subprocess.run([*control, "off", str(os.getpid())], check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--products", type=int, default=40)
    parser.add_argument("--measured", metavar="STATE", help=argparse.SUPPRESS)  # the run under valgrind
    args = parser.parse_args()

    from sqlalchemy.engine import make_url

    from marketplace.config import normalise_database_url

    url = normalise_database_url(args.database_url)
    if args.measured:
        measured_run(url, json.loads(Path(args.measured).read_text()), args.requests)
        return 0
    if not os.path.basename(make_url(url).database or "").startswith(("test", "bench")):
        raise SystemExit("give a --database-url whose database name starts with 'test' or 'bench' (it is rebuilt)")
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        raise SystemExit("needs valgrind (apt-get install valgrind)")
    if args.requests < 1:
        raise SystemExit("--requests must be at least 1")

    product_ids, _scarce, tokens, _stock = prepare(url, 1, args.products, 5)
    with tempfile.TemporaryDirectory(prefix="instructions-") as work:
        state = Path(work, "state.json")
        state.write_text(json.dumps({"product_ids": product_ids, "token": tokens[0]}))
        log = Path(work, "callgrind.log")
        print(f"counting the instructions of {args.requests} checkouts under callgrind …", flush=True)
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--log-file={log}",
             f"--callgrind-out-file={Path(work, 'callgrind.out')}",
             sys.executable, __file__, "--database-url", url, "--requests", str(args.requests),
             "--measured", str(state)],
            env={**os.environ, "PYTHONHASHSEED": "0"}, cwd=ROOT)
        collected = re.search(r"Collected : (\d+)", log.read_text())
        if done.returncode != 0 or collected is None:
            raise SystemExit(f"the run under valgrind failed (exit {done.returncode}):\n{log.read_text()[-2000:]}")
    per_checkout = int(collected.group(1)) / args.requests
    print(f"instructions per checkout: {per_checkout / 1e6:.2f} million "
          f"({args.requests} checkouts of 2 products, in-process, app only)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
