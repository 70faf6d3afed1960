"""Steps the browser tests share: signing in, adding to the cart, checking the console."""
from __future__ import annotations

import re

from tests import factories as f


def log_in(page, email: str, shot=None) -> None:
    """Sign in through the login form (CSRF token and all), as a person would."""
    from playwright.sync_api import expect

    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", f.PASSWORD)
    if shot:
        shot("login")
    page.locator("main form [type=submit]").click()
    expect(page.get_by_role("button", name=re.compile("Đăng xuất|Log out"))).to_be_visible()


def add_to_cart(page, quantity: int = 1) -> None:
    """On a product page: choose the quantity and press "Thêm vào giỏ" (static/js/cart.js posts
    the line to the cart API with a fresh CSRF token); the page says it is in the cart."""
    from playwright.sync_api import expect

    page.fill("form.add-to-cart #quantity", str(quantity))
    page.locator("form.add-to-cart button[type=submit]").click()
    expect(page.locator(".add-to-cart-result")).to_contain_text("Đã thêm vào giỏ hàng.")


def fill_checkout_contact(page, guest) -> None:
    """On the checkout page: the contact and the two-tier shipping address of `guest`."""
    for field in ("full_name", "phone", "email", "line1", "ward", "province"):
        page.fill(f"#{field}", getattr(guest, "name" if field == "full_name" else field))


def no_console_errors(page) -> None:
    """Nothing failed to load and nothing broke the Content-Security-Policy."""
    assert page.console_errors == [], page.console_errors
