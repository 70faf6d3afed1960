"""Stock cannot be held hostage by unpaid orders.

An unpaid VietQR order holds its stock for a day. Unpaid orders are limited per contact
phone, per contact email and per client address, and so are the units of one product
across one contact's unpaid orders; beyond them the checkout is refused (422 with the
error envelope in the API, a form error on the web) and nothing is written.
"""
from __future__ import annotations

import sqlalchemy as sa

from marketplace.orders.models import Order
from marketplace.orders.services import cancel_order, get_order, mark_order_paid
from marketplace.timeutil import utcnow
from tests import factories
from tests.api.envelope import error_of
from tests.hardening.checkout_bodies import checkout_body


def _orders(db) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Order))


def _place(client, product, quantity=1, ip="203.0.113.7", **contact):
    return client.post("/api/v1/checkout?lang=en", json=checkout_body([(product, quantity)], **contact),
                       environ_base={"REMOTE_ADDR": ip})


def test_the_defaults_are_sensible(hold_limits):
    assert (hold_limits["UNPAID_ORDERS_PER_PHONE"], hold_limits["UNPAID_ORDERS_PER_EMAIL"],
            hold_limits["UNPAID_ORDERS_PER_CLIENT"], hold_limits["UNPAID_UNITS_PER_PRODUCT"]) == (3, 3, 10, 50)


def test_one_phone_holds_at_most_three_unpaid_orders(db, client, hold_limits):
    tea = factories.product(stock=100)
    for n in range(3):
        assert _place(client, tea, email=f"lan{n}@example.vn", ip=f"203.0.113.{n}").status_code == 201
    error = error_of(_place(client, tea, email="other@example.vn", ip="198.51.100.1"), 422)
    assert error["code"] == "hold_limit"
    assert error["fields"]["contact.phone"] == [error["message"]]
    assert "already has 3 unpaid orders" in error["message"]
    assert _orders(db) == 3


def test_one_email_holds_at_most_three_unpaid_orders(db, client, hold_limits):
    tea = factories.product(stock=100)
    for n in range(3):
        assert _place(client, tea, phone=f"091234567{n}", ip=f"203.0.113.{n}").status_code == 201
    error = error_of(_place(client, tea, phone="0987654321", ip="198.51.100.1"), 422)
    assert list(error["fields"]) == ["contact.email"]


def test_one_client_address_holds_at_most_ten_unpaid_orders(db, client, hold_limits):
    tea = factories.product(stock=100)
    for n in range(10):
        assert _place(client, tea, phone=f"09123456{n:02d}", email=f"k{n}@example.vn").status_code == 201
    error = error_of(_place(client, tea, phone="0987654321", email="new@example.vn"), 422)
    assert error["code"] == "hold_limit" and "network" in error["message"]
    # Another address is not held back.
    assert _place(client, tea, phone="0987654321", email="new@example.vn", ip="198.51.100.9").status_code == 201


def test_units_of_one_product_across_a_contacts_unpaid_orders(db, client, hold_limits):
    tea, honey = factories.product(stock=200), factories.product(stock=200)
    error = error_of(_place(client, tea, 51), 422)
    assert list(error["fields"]) == ["items"] and "At most 50 units" in error["message"]
    assert _place(client, tea, 30).status_code == 201
    error = error_of(_place(client, tea, 21, email="khac@example.vn", ip="198.51.100.1"), 422)  # same phone
    assert list(error["fields"]) == ["items"]
    assert _place(client, tea, 20, ip="198.51.100.1").status_code == 201
    assert _place(client, honey, 50, ip="198.51.100.2").status_code == 201  # another product
    assert _orders(db) == 3


def test_paid_and_cancelled_orders_hold_nothing(db, client, hold_limits):
    tea = factories.product(stock=200)
    codes = [_place(client, tea, 10).get_json()["order"]["code"] for _ in range(3)]
    error_of(_place(client, tea), 422)
    mark_order_paid(get_order(codes[0]), utcnow())
    cancel_order(get_order(codes[1]), "shopper", "đổi ý")
    assert _place(client, tea, 30).status_code == 201
    assert _place(client, tea).status_code == 201


def test_the_web_checkout_shows_a_form_error(db, web, hold_limits):
    tea = factories.product(stock=100)
    form = {"full_name": "Trần Văn Minh", "phone": "0987654321", "email": "minh@example.vn", "line1": "Thôn Đồng Tâm",
            "ward": "Xã Ba Chẽ", "province": "Quảng Ninh", "payment_method": "vietqr", "note": ""}
    for _ in range(3):
        web.post("/cart/add", data={"product_id": tea.id, "quantity": 1})
        assert web.post("/checkout", data=form).status_code == 302
    web.post("/cart/add", data={"product_id": tea.id, "quantity": 1})
    page = web.post("/checkout?lang=en", data=form)
    assert page.status_code == 200
    assert "This phone number already has 3 unpaid orders." in page.get_data(as_text=True)
    assert _orders(db) == 3


def test_the_limits_can_be_switched_off(db, client, hold_limits):
    hold_limits["UNPAID_ORDERS_PER_PHONE"] = hold_limits["UNPAID_ORDERS_PER_EMAIL"] = 0
    tea = factories.product(stock=100)
    for _ in range(5):
        assert _place(client, tea).status_code == 201
