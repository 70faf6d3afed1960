"""One short, real `make scale-demo`: PostgreSQL, Redis, moto's S3 server, two gunicorn servers
behind Debian's HAProxy, the fixed-rate mix and a kill -9 of one server.

It takes minutes (migrations, seed, three server starts), so `make test` skips it;
`make scale-demo-test` runs it (SCALE_DEMO_TEST=1). Needs PostgreSQL on 127.0.0.1:5432
(user postgres) and haproxy (`make lb-deps`).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(os.environ.get("SCALE_DEMO_TEST") != "1",
                                reason="minutes long: run with `make scale-demo-test`")


def test_a_short_scale_demo_survives_the_kill_with_exact_sums():
    if not (shutil.which("haproxy") or os.path.exists("/usr/sbin/haproxy")):
        pytest.fail("HAProxy is needed: make lb-deps")
    done = subprocess.run(
        [sys.executable, "scripts/scale_demo.py", "--database", os.environ.get("SCALE_DEMO_DATABASE", "test_scale_demo"),
         "--redis-db", os.environ.get("SCALE_DEMO_REDIS_DB", "7"), "--rate", "10", "--seconds", "20",
         "--port-base", os.environ.get("SCALE_DEMO_PORT_BASE", "5810")],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "All scale-out checks passed." in output
    killed = re.search(r"server A killed at ([\d.]+) s, answering /healthz again at ([\d.]+) s", output)
    assert killed and float(killed.group(1)) < float(killed.group(2))
    for kind in ("browse", "search", "product", "cart", "checkout", "bank"):
        row = re.search(rf"^  {kind}\s+(\d+)\s", output, re.MULTILINE)
        assert row and int(row.group(1)) > 0, f"no {kind} requests in:\n{output[-3000:]}"
    for check in ("every order placed is known to its shopper, once", "every order placed was paid",
                  "units ordered = stock sold", "money received = sum of the paid orders",
                  "no request failed other than those in flight on the killed server"):
        assert f"[PASS] {check}" in output
