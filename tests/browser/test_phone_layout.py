"""Nothing on the site is wider than a phone.

Every HTML page of the URL map is opened as a guest, a shopper, a seller and an admin, and
measured at phone and tablet widths: the document must never be wider than the window
(no sideways scrolling), nothing inside a shop page may scroll sideways either (a table
that hides its totals off to the right), and no amount of money may break over two lines
("770.000 / ₫").

One browser, one context per role, each page loaded once and resized through the widths:
a resize re-lays the page out exactly as a phone of that width would, so every width costs
little more than one. `PHONE_WIDTHS` (a comma list) measures other widths.
"""
from __future__ import annotations

import os
import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from marketplace.accounts.addresses import create_address
from marketplace.extensions import db
from marketplace.orders.services import new_order_code
from marketplace.payments.services import access_token
from marketplace.traceability.lots import create_lot
from tests import factories as f
from tests.browser.steps import log_in
from tests.conftest import empty_tables
from tests.payments.helpers import ACCOUNT_NO, SEPAY_KEY, make_order, post_sepay, sepay_body

pytest.importorskip("playwright.sync_api", reason="browser checks not run: the Python package playwright "
                    "is not installed (pip install -r requirements-dev.txt)")

WIDTHS = [int(w) for w in os.environ.get("PHONE_WIDTHS", "360,390,768").split(",")]

# Endpoints that are not pages a person reads, each with the reason.
NOT_PAGES = {
    "static": "files", "bootstrap.static": "files", "media.file": "uploaded files", "favicon": "an icon",
    "healthz": "probe", "readyz": "probe", "health.healthz": "probe", "health.readyz": "probe",
    "payments.qr_image": "a PNG", "seller.products_export_csv": "a download",
    "seller.products_export_xlsx": "a download", "seller.sales_csv": "a download",
    "payments.stripe_success": "a redirect from Stripe", "payments.stripe_cancel": "a redirect from Stripe",
    "seller.invitation": "needs a one-time token from an email",
    "seller.certificate_scan": "the certificate's uploaded scan", "admin.certificate_scan": "an uploaded scan",
    "traceability.seller_labels": "a PDF", "traceability.resolve_gtin": "a redirect to the passport",
    "traceability.resolve_slug": "a redirect to the passport",
    "alerts.unsubscribe": "needs a signed token from a back-in-stock email",
}

MEASURE_JS = r"""
(scrollers) => {
  const width = window.innerWidth, problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > width) {
    const wide = [...document.body.querySelectorAll('*')].filter(el => el.getBoundingClientRect().right > width + 1)
      .filter(el => !el.closest('.visually-hidden, .visually-hidden-focusable'))
      .slice(-3).map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim().split(/\s+/).join('.') : ''));
    problems.push(`document ${doc.scrollWidth}px wide: ${wide.join(', ')}`);
  }
  if (scrollers) {
    for (const el of document.body.querySelectorAll('*')) {
      const style = getComputedStyle(el);
      if (!['auto', 'scroll'].includes(style.overflowX) || el.scrollWidth <= el.clientWidth + 1) continue;
      // The product photo strip scrolls sideways on purpose (a swipe through the photos).
      if (!el.offsetWidth || el.closest('pre, .swagger-ui, .product-gallery')) continue;
      problems.push('scrolls sideways: ' + el.tagName.toLowerCase() + '.' + String(el.className).trim().split(/\s+/).join('.'));
    }
  }
  // Amounts of money stay on one line.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    for (const match of text.matchAll(/-?[\d.,]+\d[\s\u00a0]?₫|₫[\d.,]*\d/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (lines.size > 1) problems.push('amount broken over lines: ' + match[0]);
    }
  }
  return problems;
}
"""


@pytest.fixture(autouse=True)
def _clean_tables():
    """Overrides conftest's per-test cleanup: the shop is built once for the module."""
    yield


@pytest.fixture(scope="module")
def site(app):
    """Something on every page: long names, amounts in the millions, orders in every state."""
    empty_tables(app)
    saved = {k: app.config.get(k) for k in ("SEPAY_API_KEY", "VIETQR_ACCOUNT_NO")}
    app.config.update(SEPAY_API_KEY=SEPAY_KEY, VIETQR_ACCOUNT_NO=ACCOUNT_NO)
    with app.app_context():
        maker = f.producer("Hợp tác xã Nông nghiệp và Dịch vụ Trà hoa vàng Đồng Tâm Ba Chẽ")
        tea = f.product("Trà hoa vàng Ba Chẽ sấy lạnh hộp quà tặng cao cấp loại đặc biệt", stars=5, prod=maker,
                        price_vnd=1_025_000, description="Trà hoa vàng sấy lạnh.")
        f.product("Mật ong rừng", stars=4, prod=maker, stock=0, price_vnd=285_000)
        shopper = f.user(email="khach@example.vn")
        address = create_address(shopper, {"full_name": "Nguyễn Thị Phương Thảo Hoàng Anh", "phone": "0912345678",
                                           "line1": "Số 128, ngõ 45, đường Nguyễn Văn Cừ, khu 3", "province_code": 22,
                                           "ward_code": 7090})
        paid = make_order(user=shopper, prices=(12_770_000, 285_000))
        unpaid = make_order(user=shopper, prices=(770_000,))
        paid.code, unpaid.code = new_order_code(), new_order_code()
        paid.contact_name = "Nguyễn Thị Phương Thảo Hoàng Anh"
        db.session.commit()
        part = paid.parts[0]
        seller = f.user("seller", email="banhang@example.vn", producer_id=part.producer_id)
        admin = f.user("admin", email="admin@example.vn")
        lot = create_lot(part.producer_id, part.lines[0].product_id, seller, {
            "code": "BC-2026-11", "produced_on": "2026-11-01", "best_before": "2027-11-01", "quantity": 240,
            "process": ["Hái nụ trà hoa vàng buổi sớm", "Sấy lạnh 36 giờ"], "inputs": ["Nụ trà hoa vàng"]})
        s = SimpleNamespace(product=tea.slug, producer=maker.slug, product_id=tea.id, shopper=shopper.email,
                            seller=seller.email, admin=admin.email, paid=paid.code, unpaid=unpaid.code,
                            unpaid_token=access_token(unpaid), part=part.id, seller_product=part.lines[0].product_id,
                            lot=lot.id, address=address.id)
        body = sepay_body(paid, paid.total_vnd, txn_id=990_002)
        db.session.remove()
    reply = post_sepay(app.test_client(), body)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    yield s
    app.config.update(saved)
    empty_tables(app)


def site_map(app, site) -> list[str]:
    """Every GET page of the URL map, its arguments filled from the sample shop. A new page
    with an argument this test cannot fill fails here until it is given one (or a reason)."""
    fill = {"slug": {"catalog.product": site.product, "catalog.producer": site.producer},
            "code": {"orders.detail": site.paid, "payments.order_payment": site.unpaid},
            "part_id": site.part, "product_id": site.seller_product, "lot_id": site.lot, "name": {"catalog.policy": "returns"},
            "address_id": {"accounts.address_edit": site.address},
            "token": {"accounts.password_reset_confirm": "pr_no-such-link"}}
    paths, unknown = [], []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/api/") or rule.endpoint in NOT_PAGES:
            continue
        values = {}
        for name in rule.arguments:
            value = fill.get(name)
            value = value.get(rule.endpoint) if isinstance(value, dict) else value
            if value is None:
                unknown.append(f"{rule.rule} ({rule.endpoint})")
            values[name] = value
        if rule.endpoint in NOT_PAGES or any(v is None for v in values.values()):
            continue
        path = rule.rule
        for name, value in values.items():
            path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
        if rule.endpoint == "payments.order_payment":
            path += f"?t={site.unpaid_token}"
        paths.append(path)
    assert unknown == [], f"pages this test cannot open (add an argument or a reason): {unknown}"
    # An unpaid order's page too: it carries the payment panel (QR, account, copy buttons).
    return sorted(set(paths)) + ["/products?q=tra+hoa+vang", f"/orders/{site.unpaid}", "/no-such-page"]


def problems_at_widths(page, paths: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        page.set_viewport_size({"width": WIDTHS[0], "height": 844})
        response = page.goto(path)
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        shop_page = not page.url.split("/", 3)[-1].startswith("admin")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 844})
            for problem in page.evaluate(MEASURE_JS, shop_page):
                found.setdefault(f"{page.url.split('/', 3)[-1] or '/'} at {width}px", []).append(problem)
    return found


@pytest.mark.parametrize("role", ["guest", "shopper", "seller", "admin"])
def test_no_page_is_wider_than_a_phone(app, browser, live_server, site, role):
    context = browser.new_context(base_url=live_server, locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        if role != "guest":
            log_in(page, getattr(site, role))  # at desktop width, where "log out" shows without the menu
        problems = problems_at_widths(page, site_map(app, site))
        assert problems == {}, "\n".join(f"{where}: {', '.join(sorted(set(p)))}" for where, p in problems.items())
    finally:
        context.close()


def test_on_a_phone_search_and_cart_count_are_at_hand_and_filters_fold_away(browser, live_server, site):
    from playwright.sync_api import expect

    from tests.browser.steps import add_to_cart

    context = browser.new_context(base_url=live_server, locale="vi-VN", viewport={"width": 390, "height": 844},
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"/products/{site.product}")
        expect(page.locator("#site-search")).to_be_visible()
        expect(page.locator(".navbar-toggler")).to_be_visible()  # the menu is folded, yet:
        expect(page.locator("a.cart-link")).to_be_visible()
        expect(page.locator("#cart-count")).to_be_hidden()
        add_to_cart(page, quantity=2)
        expect(page.locator("#cart-count")).to_have_text("2")
        page.reload()
        expect(page.locator("#cart-count")).to_have_text("2")
        page.goto("/track")
        expect(page.locator("#cart-count")).to_have_text("2")

        page.fill("#site-search", "tra hoa vang")
        page.press("#site-search", "Enter")
        page.wait_for_url("**/products?q=*")
        expect(page.locator("#filters")).to_be_hidden()
        first_result = page.locator(".product-card").first.bounding_box()
        assert first_result["y"] < 844, "the first product is not on the first screen"
        page.locator(".filters-toggle").click()
        expect(page.locator("#filters")).to_be_visible()
    finally:
        context.close()


def test_a_product_page_sells_above_the_fold_on_a_phone(app, browser, live_server, site):
    """Three landscape photos, yet the name, stars, price and "add to cart" are on the first
    screen at 390×844; the photos swipe one by one and the thumbnails jump to each."""
    import io

    from PIL import Image
    from playwright.sync_api import expect

    from marketplace.catalog.models import Product, ProductImage
    from marketplace.storage import get_storage

    with app.app_context():
        product = db.session.scalar(sa.select(Product).where(Product.slug == site.product))
        for n, colour in enumerate(("#0b6e4f", "#c99700", "#b02a37")):
            buffer = io.BytesIO()
            Image.new("RGB", (1200, 900), colour).save(buffer, "JPEG")
            get_storage().save(f"gallery/{n}.jpg", buffer.getvalue(), "image/jpeg")
            db.session.add(ProductImage(product_id=product.id, path=f"gallery/{n}.jpg", width=1200, height=900,
                                        position=n, alt=f"{product.name} {n + 1}"))
        db.session.commit()
        db.session.remove()
    context = browser.new_context(base_url=live_server, locale="vi-VN", viewport={"width": 390, "height": 844},
                                  has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"/products/{site.product}")
        expect(page.locator(".product-gallery img")).to_have_count(3)
        for selector in ("main h1", "main .ocop-badge", "#price", "form.add-to-cart button[type=submit]"):
            box = page.locator(selector).first.bounding_box()
            assert box and box["y"] + box["height"] <= 844, f"{selector} is below the first screen: {box}"
        strip = page.locator(".product-gallery")
        assert strip.evaluate("el => getComputedStyle(el).scrollSnapType").startswith("x")
        page.locator(".gallery-thumbs a[href='#photo-3']").click()
        page.wait_for_function("document.querySelector('.product-gallery').scrollLeft > 0")
        third = page.locator("#photo-3").bounding_box()
        assert 0 <= third["x"] < 390, third
    finally:
        context.close()
        with app.app_context():
            db.session.execute(sa.delete(ProductImage))
            db.session.commit()
            db.session.remove()
