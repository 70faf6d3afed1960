"""A shopper on a 390×844 phone saves an address with the province and commune pickers
(the commune list comes from the divisions API), and checkout starts from it."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from marketplace.orders.models import Order
from tests import factories as f
from tests.browser.conftest import new_page
from tests.browser.steps import add_to_cart, no_console_errors

expect = pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed").expect


@pytest.fixture
def phone(browser, live_server):
    page = new_page(browser, live_server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    yield page
    page.context.close()


def test_a_saved_address_is_used_at_checkout_on_a_phone(phone, db):
    page = phone
    shopper = f.user(email="thu.ha@example.vn", full_name="Phạm Thu Hà", phone="0987654321")
    squid = f.product("Chả mực Hạ Long", price_vnd=350_000, stock=5, prod=f.producer("HTX Chả mực Hạ Long"))
    page.goto("/login")  # on a phone the "log out" button is inside the collapsed menu
    page.fill("#email", shopper.email)
    page.fill("#password", f.PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)

    page.goto("/account/addresses")
    expect(page.get_by_role("heading", name="Sổ địa chỉ")).to_be_visible()
    expect(page.locator("#full_name")).to_have_value("Phạm Thu Hà")
    page.select_option("#province_code", label="Quảng Ninh")
    expect(page.locator("#ward_code option")).to_have_count(55)  # the 54 and the prompt, fetched by addresses.js
    page.select_option("#ward_code", label="Đặc khu Vân Đồn")
    page.fill("#line1", "Số 9, phố Cái Rồng")
    page.locator("#address-form [type=submit][name=submit]").click()
    expect(page.locator("#address-list")).to_contain_text("Số 9, phố Cái Rồng, Đặc khu Vân Đồn, Quảng Ninh")
    expect(page.locator("#address-list")).to_contain_text("Mặc định")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(f"/products/{squid.slug}")
    add_to_cart(page)
    page.goto("/checkout")
    expect(page.locator("#line1")).to_have_value("Số 9, phố Cái Rồng")
    expect(page.locator("#ward")).to_have_value("Đặc khu Vân Đồn")
    expect(page.locator("#province")).to_have_value("Quảng Ninh")
    expect(page.locator("#phone")).to_have_value("0987654321")
    page.check("input[name=payment_method][value=vietqr]")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/orders/[^/?]+\?placed=1"))
    code = re.search(r"/orders/([^/?]+)", page.url).group(1)
    db.session.expire_all()
    order = db.session.scalars(sa.select(Order).where(Order.code == code)).one()
    assert (order.ship_line1, order.ship_ward, order.ship_province) == ("Số 9, phố Cái Rồng", "Đặc khu Vân Đồn",
                                                                        "Quảng Ninh")
    no_console_errors(page)
