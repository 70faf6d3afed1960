"""Real-browser journeys: Playwright driving Debian's Chromium against a live server.

The live server runs the test app (same database) in a thread; screenshots of each
step are saved under test-artifacts/screenshots/ for inspection.
"""
from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _missing() -> str | None:
    """What the journeys need and this machine lacks, said plainly (None: all there)."""
    if importlib.util.find_spec("playwright") is None:
        return "the Python package playwright is not installed (pip install -r requirements-dev.txt)"
    if not os.access(CHROMIUM, os.X_OK):
        return (f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium, which `make test` does when "
                "run as root; or set CHROMIUM_PATH to a Chromium binary)")
    return None


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    ours = [item for item in items if here in Path(item.path).resolve().parents]
    missing = _missing() if ours else None
    if missing is None:
        return
    message = f"browser journeys not run: {missing}"
    if os.environ.get("CI"):
        raise pytest.UsageError(message)
    for item in ours:
        item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture(scope="module")
def live_server(app):
    """The test app served over real HTTP for one module, with CSRF protection on (as in
    production). The settings it changes are put back afterwards, so the other tests (which
    run with SERVER_NAME "localhost" and CSRF off) see the app as they expect."""
    changed = {"SERVER_NAME": None, "WTF_CSRF_ENABLED": True}
    saved = {key: app.config.get(key) for key in changed}
    app.config.update(changed)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.config.update(saved)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def new_page(browser, live_server, **context_options):
    """A page in a fresh browser profile (no cookies) on the live server: relative URLs work
    in goto(); console errors collect in `page.console_errors`. Close its `page.context`."""
    context = browser.new_context(base_url=live_server, locale="vi-VN", **context_options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors
    return page


@pytest.fixture
def page(browser, live_server):
    """A fresh browser profile (no cookies) on the live server, 1280×900."""
    page = new_page(browser, live_server, viewport={"width": 1280, "height": 900})
    yield page
    page.context.close()


class Shots:
    """Numbered screenshots of one journey: test-artifacts/screenshots/<journey>/NN-step.png."""

    def __init__(self, page, journey: str):
        self.page, self.folder, self.n = page, ARTIFACTS / journey, 0
        self.folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, step: str) -> Path:
        self.n += 1
        path = self.folder / f"{self.n:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(page):
    return lambda journey: Shots(page, journey)
