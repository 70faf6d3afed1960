"""Lighthouse on the seeded app, mobile preset: `make lighthouse`.

Builds a throw-away instance (SQLite, the seed catalogue, a search index, a shopper and a
producer's seller), serves it with gunicorn on a free loopback port, and runs Lighthouse
(npm `lighthouse@12.2.3` through npx, driving CHROMIUM_PATH, default /usr/bin/chromium) on the
public pages (home, search results, a product, the cart, checkout, a payment page, tracking)
and the signed-in ones (my orders, an unpaid order, the seller's dashboard and orders; their session cookie is
sent as an extra header). Reports go to test-artifacts/lighthouse/<page>.report.{html,json};
the scores of each category are printed as a table.

    python scripts/lighthouse.py [--only home,product] [--keep]
"""
from __future__ import annotations

import argparse
import csv
import http.cookiejar
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "test-artifacts" / "lighthouse"
LIGHTHOUSE = "lighthouse@12.2.3"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PASSWORD = "lighthouse-pass-123"
SERVER_WAIT_S = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """A browser-like HTTP client: cookies kept, the CSRF token fetched for writes."""

    def __init__(self, base: str):
        self.base, self.jar = base, http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        headers = {"Accept": "application/json"}
        if method != "GET":
            headers["X-CSRFToken"] = self.call("GET", "/api/v1/auth/csrf")["csrf_token"]
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as exc:
            raise SystemExit(f"{method} {path}: {exc.code} {exc.read().decode()[:500]}") from None
        return json.loads(text) if text else {}

    def sign_in(self, email: str) -> None:
        self.call("GET", "/api/v1/auth/csrf")  # starts the session the login form's token lives in
        self.call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def run(cmd: list[str], env: dict, **kw) -> None:
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, **kw)


def build_instance(work: Path) -> dict:
    env = dict(os.environ, FLASK_APP="wsgi.py", DATABASE_URL=f"sqlite:///{work / 'lighthouse.db'}",
               SEARCH_INDEX_DIR=str(work / "index"), UPLOAD_DIR=str(work / "uploads"),
               MAIL_OUTBOX_DIR=str(work / "outbox"), RATELIMIT_ENABLED="0", WEB_CONCURRENCY="2",
               GUNICORN_THREADS="4")
    env.pop("MAIL_SERVER", None)
    flask = [sys.executable, "-m", "flask"]
    print("preparing a seeded instance in", work, flush=True)
    run(flask + ["db", "upgrade"], env, stderr=subprocess.DEVNULL)
    run(flask + ["seed"], env)
    run(flask + ["search", "reindex"], env, stderr=subprocess.DEVNULL)
    with (ROOT / "seeds" / "ocop_products.csv").open(encoding="utf-8") as fh:
        # The first producer the seed names by tax code (sample rows have none: then its slug).
        rows = list(csv.DictReader(fh))
        tax_code = next((r["producer_tax_code"] for r in rows if r.get("producer_tax_code")), None) \
            or rows[0]["producer_slug"]
    run(flask + ["users", "create", "--email", "khach@example.vn", "--password", PASSWORD,
                 "--name", "Nguyễn Thị Lan", "--phone", "0912345678"], env)
    run(flask + ["users", "create", "--email", "banhang@example.vn", "--password", PASSWORD,
                 "--role", "seller", "--producer", tax_code, "--name", "Trần Văn Minh", "--phone", "0987654321"], env)
    return env


def pages(base: str) -> list[tuple[str, str, str | None]]:
    """(name, URL, Cookie header or None) for every page measured."""
    guest = Client(base)
    product = guest.call("GET", "/api/v1/products?per_page=1&sort=bestselling")["items"][0]
    contact = {"full_name": "Nguyễn Thị Lan", "phone": "0912345678", "email": "lan@example.vn"}
    address = {"line1": "Số 12, phố Cao Thắng", "ward": "Phường Hạ Long", "province": "Quảng Ninh"}
    placed = Client(base).call("POST", "/api/v1/checkout", {
        "contact": contact, "shipping_address": address, "payment_method": "vietqr",
        "items": [{"product_id": product["id"], "quantity": 1}]})
    payment_url = placed["payment"]["page_url"].split("://", 1)[1].split("/", 1)[1]

    shopper = Client(base)
    shopper.sign_in("khach@example.vn")
    shopper.call("POST", "/api/v1/cart/items", {"product_id": product["id"], "quantity": 2})
    unpaid = shopper.call("POST", "/api/v1/checkout", {"contact": contact, "shipping_address": address,
                                                       "payment_method": "vietqr"})["order"]["code"]
    shopper.call("POST", "/api/v1/cart/items", {"product_id": product["id"], "quantity": 1})
    seller = Client(base)
    seller.sign_in("banhang@example.vn")
    cookie, seller_cookie = shopper.cookie_header(), seller.cookie_header()
    return [
        ("home", f"{base}/", None),
        ("search", f"{base}/products?q=tra+hoa+vang", None),
        ("product", f"{base}/products/{product['slug']}", None),
        ("cart", f"{base}/cart", cookie),
        ("checkout", f"{base}/checkout", cookie),
        ("payment", f"{base}/{payment_url}", None),
        ("tracking", f"{base}/track", None),
        ("my-orders", f"{base}/orders", cookie),
        ("order", f"{base}/orders/{unpaid}", cookie),  # unpaid: it carries the payment panel
        ("seller-dashboard", f"{base}/seller/", seller_cookie),
        ("seller-orders", f"{base}/seller/orders", seller_cookie),
    ]


def wait_until_up(base: str, server: subprocess.Popen, limit: float = SERVER_WAIT_S) -> None:
    """Until /healthz answers: on a busy shared machine gunicorn's workers can take a minute
    to import the app, and measuring a server that is still starting would fail every page."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {server.returncode} before answering")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server at {base} did not answer /healthz within {limit:.0f} s")


def lighthouse(name: str, url: str, cookie: str | None, chrome: str) -> dict[str, int]:
    cmd = ["npx", "--yes", LIGHTHOUSE, url, "--quiet", "--output=json", "--output=html",
           f"--output-path={OUT / name}", f"--only-categories={','.join(CATEGORIES)}",
           "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run"]
    if cookie:
        headers = OUT / f"{name}.headers.json"
        headers.write_text(json.dumps({"Cookie": cookie}))
        cmd.append(f"--extra-headers={headers}")
    try:
        # One more try when Chromium times out or crashes: on a loaded shared machine a single
        # failure says more about the neighbours than about the page.
        for attempt in (1, 2):
            done = subprocess.run(cmd, env=dict(os.environ, CHROME_PATH=chrome), cwd=ROOT)
            if done.returncode == 0:
                break
            print(f"lighthouse {name}: attempt {attempt} failed (exit {done.returncode})", file=sys.stderr)
        else:
            raise SystemExit(f"lighthouse failed twice on {url}")
    finally:
        if cookie:
            (OUT / f"{name}.headers.json").unlink(missing_ok=True)  # it holds a session cookie
    report = json.loads((OUT / f"{name}.report.json").read_text())
    return {key: round((report["categories"][key]["score"] or 0) * 100) for key in CATEGORIES}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma list of page names")
    parser.add_argument("--keep", action="store_true", help="keep the instance's directory")
    args = parser.parse_args()
    chrome = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not shutil.which("npx") or not os.access(chrome, os.X_OK):
        print(f"needs npx (Node.js) and Chromium at {chrome}", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="lighthouse-"))
    env = build_instance(work)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind",
                               f"127.0.0.1:{port}", "wsgi:app"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, server)
        wanted = set(args.only.split(",")) if args.only else None
        rows = []
        for name, url, cookie in pages(base):
            if wanted and name not in wanted:
                continue
            print(f"lighthouse {name}: {url.replace(base, '')}", flush=True)
            rows.append((name, lighthouse(name, url, cookie, chrome)))
    finally:
        server.terminate()
        server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n| page | {' | '.join(CATEGORIES)} |\n|---|{'---|' * len(CATEGORIES)}")
    for name, scores in rows:
        print(f"| {name} | {' | '.join(str(scores[key]) for key in CATEGORIES)} |")
    print(f"\nreports: {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
