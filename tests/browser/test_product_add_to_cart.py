"""Add to cart from a product page in a real browser, with CSRF protection on.

With JavaScript, cart.js fetches a CSRF token, posts to the cart API and shows the result
on the product page (the page itself carries no token, so it stays cacheable). Without
JavaScript the same form opens a confirm page whose POST carries the token.
"""
from __future__ import annotations

import pytest

from tests import factories as f

expect = pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed").expect


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def honey(db):
    maker = f.producer("HTX Mật ong Ba Chẽ")
    return f.product("Mật ong rừng Ba Chẽ", price_vnd=240_000, stock=5, prod=maker)


def test_add_to_cart_with_javascript_stays_on_the_product_page(live_server, page, shots, csrf_on, honey):
    shot = shots("product-add-to-cart")
    page.goto(f"{live_server}/products/{honey.slug}")
    shot("product-page")
    page.get_by_label("Số lượng").fill("2")
    page.get_by_role("button", name="Thêm vào giỏ").click()

    status = page.get_by_role("status")
    expect(status).to_contain_text("Đã thêm vào giỏ hàng.")
    expect(page.locator("#cart-count")).to_have_text("2")
    assert page.url == f"{live_server}/products/{honey.slug}"
    shot("added")

    page.get_by_role("link", name="Xem giỏ hàng").click()
    expect(page.get_by_role("heading", name="Giỏ hàng của bạn")).to_be_visible()
    expect(page.get_by_role("link", name="Mật ong rừng Ba Chẽ")).to_be_visible()
    expect(page.locator("#qty-%d" % honey.id)).to_have_value("2")
    shot("cart")
    # The script obeys the Content-Security-Policy (no inline code); Chromium reports violations here.
    assert not [e for e in page.console_errors if "Content Security Policy" in e or "Refused" in e]


def test_too_many_shows_the_cart_apis_message(live_server, page, csrf_on, honey):
    page.goto(f"{live_server}/products/{honey.slug}?lang=en")
    page.get_by_label("Quantity").evaluate("input => input.removeAttribute('max')")
    page.get_by_label("Quantity").fill("9")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status")).to_contain_text("5")
    expect(page.locator("#cart-count")).to_be_hidden()


def test_add_to_cart_without_javascript_confirms_on_a_page_of_its_own(live_server, browser, csrf_on, honey):
    context = browser.new_context(locale="vi-VN", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/products/{honey.slug}")
        page.get_by_role("button", name="Thêm vào giỏ").click()
        expect(page.get_by_role("heading", name="Thêm vào giỏ")).to_be_visible()
        assert "/cart/add?product_id=" in page.url
        page.get_by_role("button", name="Xác nhận: thêm vào giỏ").click()
        expect(page.get_by_text("Đã thêm vào giỏ hàng.")).to_be_visible()
        expect(page.get_by_role("link", name="Mật ong rừng Ba Chẽ")).to_be_visible()
    finally:
        context.close()
