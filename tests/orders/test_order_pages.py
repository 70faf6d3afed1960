"""The web pages: cart, checkout, order confirmation, my orders, public tracking."""
from __future__ import annotations

import re

import sqlalchemy as sa

from tests import factories as f
from tests.factories import checkout, stock_of
from marketplace.orders import services
from marketplace.orders.models import Order

FORM = {"full_name": "Trần Văn Minh", "phone": "0987 654 321", "email": "minh@example.vn",
        "line1": "Thôn Đồng Tâm", "ward": "Xã Ba Chẽ", "province": "Quảng Ninh", "payment_method": "vietqr",
        "note": ""}


def _order_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Order))


def test_a_guest_shops_checks_out_and_sees_the_confirmation(db, client):
    honey = f.product("Mật ong rừng Ba Chẽ", price_vnd=250_000, stock=6)
    response = client.post("/cart/add", data={"product_id": honey.id, "quantity": 2, "next": "/cart"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart")

    page = client.get("/cart").get_data(as_text=True)
    assert "Mật ong rừng Ba Chẽ" in page and "500.000\u00a0₫" in page

    form_page = client.get("/checkout")
    assert form_page.status_code == 200 and 'name="ward"' in form_page.get_data(as_text=True)

    response = client.post("/checkout", data=FORM)
    assert response.status_code == 302
    match = re.search(r"/orders/([A-Z2-9]{5}-[A-Z2-9]{5})\?placed=1", response.headers["Location"])
    assert match
    code = match.group(1)
    confirmation = client.get(f"/orders/{code}?placed=1").get_data(as_text=True)
    assert code in confirmation
    order = services.get_order(code)
    assert order.payment_reference in confirmation  # what goes in the bank transfer description
    assert f"/payments/qr/{order.payment_reference}.png" in confirmation
    assert "Mật ong rừng Ba Chẽ" in confirmation
    assert "Chuyển khoản ngân hàng (VietQR)" in confirmation  # the method as its gateway names it
    assert "Bank transfer (VietQR)" in client.get(f"/orders/{code}?lang=en").get_data(as_text=True)
    client.get(f"/orders/{code}?lang=vi")
    # The page watches for the payment (static/js/payments.js polls the payment API, no inline script).
    token = re.search(r'data-status-url="/api/v1/payments/orders/' + code + r'\?t=([^"]+)"', confirmation).group(1)
    assert '<script src="/static/js/payments.js?v=' in confirmation
    assert client.application.test_client().get(f"/api/v1/payments/orders/{code}?t={token}").json["status"] == "unpaid"
    assert stock_of(honey) == 4
    assert "Mật ong rừng Ba Chẽ" not in client.get("/cart").get_data(as_text=True)


def test_checkout_form_errors_are_shown_and_nothing_is_ordered(db, client):
    item = f.product(stock=3)
    client.post("/cart/add", data={"product_id": item.id, "quantity": 1})
    response = client.post("/checkout", data={**FORM, "phone": "123"})
    assert response.status_code == 200
    assert "Số điện thoại Việt Nam không hợp lệ" in response.get_data(as_text=True)
    assert _order_count(db) == 0 and stock_of(item) == 3


def test_the_form_reports_each_rule_on_its_field_and_takes_no_email(db, client):
    item = f.product(stock=3)
    client.post("/cart/add", data={"product_id": item.id, "quantity": 1})
    page = client.post("/checkout", data={**FORM, "email": "", "ward": "", "line1": "x" * 256}).get_data(as_text=True)
    assert "Vui lòng nhập phường/xã" in page and "Tối đa 255 ký tự" in page
    assert 'maxlength="255"' in page and _order_count(db) == 0
    response = client.post("/checkout", data={**FORM, "email": ""})
    assert response.status_code == 302
    code = re.search(r"/orders/([A-Z2-9]{5}-[A-Z2-9]{5})", response.headers["Location"]).group(1)
    assert services.get_order(code).contact_email is None
    confirmation = client.get(f"/orders/{code}?placed=1").get_data(as_text=True)
    assert "cùng số điện thoại, mã này giúp bạn theo dõi đơn" in confirmation


def test_stock_gone_at_checkout_sends_the_shopper_back_to_the_cart(db, client):
    item = f.product("Chè Đường Hoa", stock=2)
    client.post("/cart/add", data={"product_id": item.id, "quantity": 2})
    checkout(client.application.test_client(), [(item, 1)])  # someone else buys one meanwhile
    response = client.post("/checkout", data=FORM, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.request.path == "/cart"
    assert "Chè Đường Hoa" in text and "chỉ còn 1" in text
    assert _order_count(db) == 1


def test_empty_cart_checkout_redirects_to_the_cart(db, client):
    response = client.get("/checkout")
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart")


def test_my_orders_lists_only_mine(db, client, app):
    me, other = f.user(), f.user()
    item = f.product(stock=10)
    f.login_as(client, me)
    mine = checkout(client, [(item, 1)]).json["order"]["code"]
    other_client = app.test_client()
    f.login_as(other_client, other)
    theirs = checkout(other_client, [(item, 1)]).json["order"]["code"]

    page = client.get("/orders").get_data(as_text=True)
    assert mine in page and theirs not in page
    assert client.get(f"/orders/{theirs}").status_code == 404


def test_the_shopper_cancels_from_the_order_page(db, client):
    f.login_as(client, f.user())
    item = f.product(stock=4)
    code = checkout(client, [(item, 3)]).json["order"]["code"]
    assert "Huỷ đơn hàng" in client.get(f"/orders/{code}").get_data(as_text=True)
    response = client.post(f"/orders/{code}/cancel", data={"reason": "Mua nhầm"}, follow_redirects=True)
    assert response.status_code == 200
    assert services.get_order(code).status == "cancelled"
    assert stock_of(item) == 4


def test_public_tracking_page_shows_parcels_but_no_address(db, client, app):
    item = f.product("Nước mắm Cái Rồng", stock=4)
    code = checkout(client, [(item, 1)]).json["order"]["code"]
    visitor = app.test_client()

    assert code in visitor.get(f"/track?code={code}").get_data(as_text=True)  # prefilled from the email link
    page = visitor.post("/track", data={"code": code.lower(), "phone": "+84 912 345 678"}).get_data(as_text=True)
    assert "Nước mắm Cái Rồng" in page and "Chờ thanh toán" in page
    for private in ("Nguyễn Thị Lan", "lan@example.vn", "Cao Thắng", "0912345678"):
        assert private not in page

    wrong = visitor.post("/track", data={"code": code, "phone": "0911111111"}).get_data(as_text=True)
    assert "Nước mắm Cái Rồng" not in wrong
    assert "Không tìm thấy đơn hàng" in wrong


def test_pages_speak_english_on_request(db, client):
    page = client.get("/cart?lang=en").get_data(as_text=True)
    assert "Your cart is empty." in page
    assert "Giỏ hàng của bạn đang trống." in client.get("/cart?lang=vi").get_data(as_text=True)
