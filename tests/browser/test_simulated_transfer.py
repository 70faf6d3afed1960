"""In development, a shopper pays a VietQR order without a bank: the payment page's "simulate
the bank transfer" button sends SePay's notification through the real webhook, and the page
shows the order paid."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from marketplace.orders.models import Order
from tests import factories as f
from tests.browser.steps import add_to_cart, no_console_errors
from tests.payments.helpers import ACCOUNT_NO, SEPAY_KEY

expect = pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed").expect


@pytest.fixture
def development(app, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "development")
    monkeypatch.setitem(app.config, "SEPAY_API_KEY", SEPAY_KEY)
    monkeypatch.setitem(app.config, "VIETQR_ACCOUNT_NO", ACCOUNT_NO)


def test_a_shopper_pays_with_the_simulate_button_and_sees_the_order_paid(app, db, live_server, page, shots,
                                                                         development):
    shot = shots("simulated-bank-transfer")
    honey = f.product("Mật ong rừng Ba Chẽ", price_vnd=240_000, stock=5, prod=f.producer("HTX Mật ong Ba Chẽ"))
    page.goto(f"/products/{honey.slug}")
    add_to_cart(page, quantity=2)
    page.goto("/checkout")
    page.fill("#full_name", "Trần Thị Hoa")
    page.fill("#phone", "0987 654 321")
    page.fill("#email", "hoa.tran@example.vn")
    page.fill("#line1", "Số 12 đường Trần Hưng Đạo")
    page.fill("#ward", "Phường Hồng Gai")
    page.fill("#province", "Quảng Ninh")
    page.check("input[name=payment_method][value=vietqr]")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/orders/[^/?]+\?placed=1"))
    code = re.search(r"/orders/([^/?]+)", page.url).group(1)

    page.get_by_role("link", name="Trang thanh toán").click()
    expect(page.locator("#payment-status")).to_have_text("Chờ thanh toán")
    button = page.get_by_role("button", name="Giả lập chuyển khoản ngân hàng")
    expect(button).to_be_visible()
    shot("payment-page")
    button.click()

    expect(page.locator("#payment-status")).to_have_text("Đã thanh toán")
    expect(page.get_by_role("alert")).to_contain_text(f"cho đơn hàng {code}: đơn hàng đã được thanh toán")
    expect(button).to_have_count(0)
    shot("paid")
    db.session.rollback()
    order = db.session.scalar(sa.select(Order).where(Order.code == code))
    assert (order.status, order.payment_status) == ("paid", "paid")
    no_console_errors(page)
