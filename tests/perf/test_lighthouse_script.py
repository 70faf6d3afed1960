"""`make lighthouse` waits for its gunicorn on a busy machine, and says why when it cannot."""
from __future__ import annotations

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scripts.lighthouse import free_port, wait_until_up


class _SlowToStart(BaseHTTPRequestHandler):
    """/healthz fails (503) for the first few probes, as a server whose workers are importing."""
    probes = 0

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).probes += 1
        ready = self.path == "/healthz" and type(self).probes > 3
        self.send_response(200 if ready else 503)
        self.end_headers()

    def log_message(self, *args):
        pass


def _sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_it_waits_through_failed_probes_until_the_server_answers():
    _SlowToStart.probes = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowToStart)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    process = _sleeper()
    try:
        wait_until_up(f"http://127.0.0.1:{server.server_port}", process, limit=30)
        assert _SlowToStart.probes == 4
    finally:
        server.shutdown()
        process.kill()
        process.wait()


def test_a_server_that_exits_is_reported_at_once_with_its_exit_code():
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    process.wait()
    with pytest.raises(SystemExit, match="gunicorn exited with code 3"):
        wait_until_up(f"http://127.0.0.1:{free_port()}", process, limit=30)


def test_a_server_that_never_answers_is_given_up_after_the_limit():
    process = _sleeper()
    try:
        with pytest.raises(SystemExit, match=r"did not answer /healthz within 1 s"):
            wait_until_up(f"http://127.0.0.1:{free_port()}", process, limit=1)
    finally:
        process.kill()
        process.wait()
