"""Accessibility smoke check of the site's pages in Chromium, for each kind of visitor.

Every page is checked as rendered (tests/browser/a11y.py): every field has a label, every
image has alt text, every button has a name, the main buttons have AA contrast (4.5:1), no
link is doubled, the page declares its language; and nothing failed to load or broke the
Content-Security-Policy on the way (the console stays clean).
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from marketplace.extensions import db
from marketplace.orders.services import new_order_code
from marketplace.orders.access import access_token
from tests import factories as f
from tests.browser.a11y import accessibility_problems
from tests.browser.steps import add_to_cart, log_in
from tests.conftest import empty_tables
from tests.payments.helpers import ACCOUNT_NO, SEPAY_KEY, make_order, sepay_body

pytest.importorskip("playwright.sync_api", reason="browser checks not run: the Python package playwright "
                    "is not installed (pip install -r requirements-dev.txt)")


@pytest.fixture(autouse=True)
def _clean_tables():
    """Overrides conftest's per-test cleanup: the pages are built once for the module."""
    yield


@pytest.fixture(scope="module")
def site(app):
    """A small shop with something on every page: products (one sold out), a shopper with a paid
    and an unpaid order, the producer's seller, an admin."""
    empty_tables(app)
    saved = {k: app.config.get(k) for k in ("SEPAY_API_KEY", "VIETQR_ACCOUNT_NO")}
    app.config.update(SEPAY_API_KEY=SEPAY_KEY, VIETQR_ACCOUNT_NO=ACCOUNT_NO)
    with app.app_context():
        maker = f.producer("HTX Trà hoa vàng Ba Chẽ")
        tea = f.product("Trà hoa vàng Ba Chẽ", stars=5, prod=maker, description="Trà hoa vàng sấy lạnh.")
        f.product("Mật ong rừng", stars=4, prod=maker, stock=0)
        shopper = f.user(email="khach@example.vn")
        paid = make_order(user=shopper, prices=(180_000,))
        unpaid = make_order(user=shopper, prices=(90_000,))
        paid.code, unpaid.code = new_order_code(), new_order_code()  # the helper's codes are not of the real form
        db.session.commit()
        producer_id = paid.parts[0].producer_id
        seller = f.user("seller", email="banhang@example.vn", producer_id=producer_id)
        admin = f.user("admin", email="admin@example.vn")
        s = SimpleNamespace(product=tea.slug, producer=maker.slug, product_id=tea.id, shopper=shopper.email,
                            seller=seller.email, admin=admin.email, paid=paid.code, unpaid=unpaid.code,
                            unpaid_token=access_token(unpaid), part=paid.parts[0].id,
                            seller_product=paid.parts[0].lines[0].product_id, phone=paid.contact_phone)
        body = sepay_body(paid, paid.total_vnd, txn_id=990_001)
        db.session.remove()
    reply = app.test_client().post("/payments/sepay/webhook", data=json.dumps(body), content_type="application/json",
                                   headers={"Authorization": f"Apikey {SEPAY_KEY}"})
    assert reply.status_code == 200 and reply.get_json()["outcome"], reply.get_data(as_text=True)
    yield s
    app.config.update(saved)
    empty_tables(app)


def check(page, paths: list[str], expected_status: int = 200) -> dict[str, list[str]]:
    """Visit each page; return the problems found on each (pages without problems left out)."""
    found = {}
    for path in paths:
        page.console_errors.clear()
        response = page.goto(path)
        problems = [] if response.status == expected_status else [f"HTTP {response.status}"]
        page.wait_for_load_state("networkidle")
        problems += accessibility_problems(page) + [
            f"console: {e}" for e in page.console_errors if f"status of {expected_status}" not in e]
        if problems:
            found[path] = problems
    return found


def test_the_shop_pages_a_guest_sees_pass(page, site):
    paths = ["/", "/products", "/products?q=tra+hoa+vang", "/products?q=xyzxyz&stars=5",
             f"/products/{site.product}", f"/producers/{site.producer}", "/cart", "/track",
             "/login", "/register", "/seller/join", f"/payments/orders/{site.unpaid}?t={site.unpaid_token}"]
    problems = check(page, paths)
    assert check(page, ["/no-such-page"], expected_status=404) == {}

    page.goto(f"/products/{site.product}")
    add_to_cart(page)
    problems.update(check(page, ["/cart", "/checkout", f"/cart/add?product_id={site.product_id}"]))
    page.goto("/track")
    page.fill("#code", site.paid)
    page.fill("#phone", site.phone)
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("h2.font-monospace")
    problems.update({"/track (result)": p for p in [accessibility_problems(page)] if p})
    assert problems == {}


def test_the_api_documentation_passes(page, site):
    page.goto("/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert accessibility_problems(page) == []
    assert page.console_errors == []


def test_the_shoppers_pages_pass(page, site):
    log_in(page, site.shopper)
    assert check(page, ["/orders", f"/orders/{site.paid}", f"/orders/{site.unpaid}"]) == {}


def test_the_seller_portal_passes(page, site):
    log_in(page, site.seller)
    product = f"/seller/products/{site.seller_product}"
    assert check(page, ["/seller/", "/seller/products", "/seller/products/new", product, f"{product}/certificate",
                        "/seller/products/import", "/seller/orders", f"/seller/orders/{site.part}",
                        f"/seller/orders/{site.part}/packing-slip", "/seller/members", "/seller/sales",
                        "/seller/tokens"]) == {}


def test_the_admin_portal_passes(page, site):
    log_in(page, site.admin)
    assert check(page, ["/admin/", "/admin/producers", "/admin/certificates", "/admin/certificates/register",
                        "/admin/certificates/stars", "/admin/audit", "/admin/stats/sales", "/admin/stats/share",
                        "/admin/stats/exports", "/admin/payments/reconciliation"]) == {}
