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
    """On a product page: add it to the cart. The page's own form posts to a route that does
    not exist yet (being fixed on branch http-perf), so post the cart's working form
    (/cart/add) with the page's session and CSRF token, as the fixed form will."""
    token = page.locator("form.add-to-cart input[name=csrf_token]").input_value()
    product_id = page.locator("form.add-to-cart input[name=product_id]").input_value()
    response = page.request.post("/cart/add", form={"csrf_token": token, "product_id": product_id,
                                                    "quantity": str(quantity)}, max_redirects=0)
    assert response.status == 302, response.status


def no_console_errors(page) -> None:
    """Nothing failed to load and nothing broke the Content-Security-Policy."""
    assert page.console_errors == [], page.console_errors
