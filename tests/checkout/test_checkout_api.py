"""Checkout through the API: one order, one part per producer, stock reserved, nothing written on failure."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests import factories as f
from tests.factories import ADDRESS, checkout, checkout_body
from marketplace.catalog.models import Product
from marketplace.checkout.schemas import CheckoutResultSchema, CheckoutSchema
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderEvent, OrderLine, OrderPart


def _stock(product_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Product, product_id).stock


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_multi_producer_checkout_makes_one_order_with_a_part_per_producer(db, client):
    honey_coop = f.producer("HTX Mật ong Ba Chẽ", shipping_fee_vnd=25_000, free_shipping_threshold_vnd=300_000)
    tea_coop = f.producer("HTX Trà hoa vàng", shipping_fee_vnd=40_000, free_shipping_threshold_vnd=1_000_000)
    honey = f.product("Mật ong rừng", price_vnd=180_000, stock=5, prod=honey_coop)
    wax = f.product("Sáp ong", price_vnd=60_000, stock=5, prod=honey_coop)
    tea = f.product("Trà hoa vàng", price_vnd=350_000, stock=5, prod=tea_coop)

    response = checkout(client, [(honey, 1), (wax, 2), (tea, 1)], note="Giao giờ hành chính")

    assert response.status_code == 201, response.json
    order = response.json["order"]
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", order["code"])
    assert order["status"] == "pending_payment"
    assert order["contact"] == {"full_name": "Nguyễn Thị Lan", "phone": "0912345678", "email": "lan@example.vn"}
    assert order["shipping_address"] == ADDRESS
    parts = {p["producer"]["name"]: p for p in order["parts"]}
    # Honey coop: 180k + 120k = 300k reaches its 300k threshold: free shipping.
    assert parts["HTX Mật ong Ba Chẽ"]["subtotal_vnd"] == 300_000
    assert parts["HTX Mật ong Ba Chẽ"]["shipping_vnd"] == 0
    # Tea coop: 350k is under its 1M threshold: its flat 40k fee.
    assert parts["HTX Trà hoa vàng"]["subtotal_vnd"] == 350_000
    assert parts["HTX Trà hoa vàng"]["shipping_vnd"] == 40_000
    assert order["subtotal_vnd"] == 650_000
    assert order["shipping_vnd"] == 40_000
    assert order["total_vnd"] == 690_000
    assert [i["line_total_vnd"] for i in parts["HTX Mật ong Ba Chẽ"]["items"]] == [180_000, 120_000]
    assert all(p["status"] == "pending" for p in order["parts"])
    assert all(p["history"][0]["status"] == "pending" for p in order["parts"])
    assert order["history"][0]["status"] == "pending_payment"
    assert order["payment"]["method"] == "vietqr"
    assert order["payment"]["status"] == "unpaid"
    assert re.fullmatch(r"QN[A-Z2-9]{8}", order["payment"]["reference"])
    payment = response.json["payment"]
    assert payment["method"] == "vietqr" and payment["amount_vnd"] == 690_000 and payment["status"] == "unpaid"
    assert payment["vietqr"]["reference"] == order["payment"]["reference"]
    assert payment["vietqr"]["amount_vnd"] == 690_000
    assert payment["vietqr"]["payload"].startswith("000201")  # an EMVCo QR string

    assert (_stock(honey.id), _stock(wax.id), _stock(tea.id)) == (4, 3, 4)
    stored = db.session.scalar(sa.select(Order).where(Order.code == order["code"]))
    assert stored.user_id is None  # a guest
    assert stored.total_vnd == 690_000


def test_default_shipping_applies_when_a_producer_sets_none(db, client, app):
    item = f.product(price_vnd=100_000, stock=10)
    response = checkout(client, [(item, 2)])
    assert response.status_code == 201
    part = response.json["order"]["parts"][0]
    assert part["shipping_vnd"] == app.config["DEFAULT_SHIPPING_VND"]
    response = checkout(client, [(item, 5)])  # 500k reaches the default free-shipping threshold
    assert response.json["order"]["parts"][0]["shipping_vnd"] == 0


def test_prices_are_frozen_on_the_order_lines(db, client):
    item = f.product(price_vnd=120_000, stock=10)
    code = checkout(client, [(item, 2)]).json["order"]["code"]

    db.session.get(Product, item.id).price_vnd = 999_000
    db.session.commit()

    order = client.get(f"/api/v1/orders/{code}").json
    line = order["parts"][0]["items"][0]
    assert (line["unit_price_vnd"], line["line_total_vnd"]) == (120_000, 240_000)
    assert order["subtotal_vnd"] == 240_000


def test_short_stock_is_409_naming_the_product_and_writes_nothing(db, client):
    plenty = f.product("Chả mực Hạ Long", stock=50)
    scarce = f.product("Rượu ba kích", stock=2)
    before = (_count(Order), _count(OrderPart), _count(OrderLine), _count(OrderEvent))

    response = checkout(client, [(plenty, 3), (scarce, 3)])

    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "insufficient_stock"
    assert "Rượu ba kích" in error["message"] and "2" in error["message"]
    assert error["product_id"] == scarce.id and error["available"] == 2 and error["requested"] == 3
    assert (_count(Order), _count(OrderPart), _count(OrderLine), _count(OrderEvent)) == before
    assert (_stock(plenty.id), _stock(scarce.id)) == (50, 2)  # the first line's reservation was rolled back


def test_archived_product_cannot_be_bought(db, client):
    item = f.product("Nấm lim xanh", stock=5, status="archived")
    response = checkout(client, [(item, 1)])
    assert response.status_code == 409
    assert response.json["error"]["code"] == "product_unavailable"
    assert _count(Order) == 0 and _stock(item.id) == 5


def test_unknown_product_is_404(db, client):
    assert checkout(client, [(987654, 1)]).status_code == 404


@pytest.mark.parametrize("change, field", [
    (lambda b: b["contact"].update(phone="12345"), "contact.phone"),
    (lambda b: b["contact"].update(email="not-an-email"), "contact.email"),
    (lambda b: b["contact"].update(full_name="   "), "contact.full_name"),
    (lambda b: b["shipping_address"].update(ward=""), "shipping_address.ward"),
])
def test_invalid_contact_or_address_is_422_per_field(db, client, change, field):
    item = f.product(stock=5)
    body = checkout_body([(item, 1)])
    change(body)
    response = client.post("/api/v1/checkout", json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert _count(Order) == 0 and _stock(item.id) == 5


def test_field_errors_speak_the_asked_language(db, client):
    item = f.product(stock=5)
    body = checkout_body([(item, 1)])
    body["contact"].update(phone="", full_name="x" * 121)
    body["shipping_address"].update(ward="  ")
    vietnamese = client.post("/api/v1/checkout", json=body).json["error"]
    assert vietnamese["message"] == "Thông tin đặt hàng chưa hợp lệ"
    assert vietnamese["fields"]["shipping_address.ward"] == ["Vui lòng nhập phường/xã"]
    english = client.post("/api/v1/checkout?lang=en", json=body).json["error"]
    assert english["fields"] == {
        "contact.full_name": ["At most 120 characters"],
        "contact.phone": ["A phone number is required: your order is tracked with it"],
        "shipping_address.ward": ["Ward or commune is required"]}
    assert _count(Order) == 0


@pytest.mark.parametrize("email", [None, "", "   "])
def test_a_guest_may_leave_no_email_and_gets_no_mail(db, client, email):
    from marketplace.mail.models import OutgoingMail

    item = f.product(stock=5)
    body = checkout_body([(item, 1)])
    if email is None:
        del body["contact"]["email"]
    else:
        body["contact"]["email"] = email
    response = client.post("/api/v1/checkout", json=body)
    assert response.status_code == 201, response.json
    order = response.json["order"]
    assert order["contact"] == {"full_name": "Nguyễn Thị Lan", "phone": "0912345678", "email": None}
    assert db.session.scalar(sa.select(Order.contact_email)) is None
    assert _count(OutgoingMail) == 0  # nobody to tell: the order placed mail is skipped
    # the order is tracked with its code and the phone number
    tracked = client.get(f"/api/v1/track/{order['code']}?phone=0912345678")
    assert tracked.status_code == 200 and tracked.json["code"] == order["code"]


@pytest.mark.parametrize("body_change", [
    lambda b: b.update(payment_method="cash"),
    lambda b: b.update(items=[{"product_id": 1, "quantity": 0}]),
    lambda b: b.update(items=[{"product_id": "x", "quantity": 1}]),
    lambda b: b.update(items=[{"product_id": 1, "quantity": 100}]),
    lambda b: b.pop("contact"),
    lambda b: b.update(contact="Lan"),
])
def test_malformed_checkout_is_422_never_500(db, client, body_change):
    body = checkout_body([(1, 1)])
    body_change(body)
    response = client.post("/api/v1/checkout", json=body)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"


def test_an_unknown_payment_method_is_refused_naming_the_accepted_ones(db, client):
    """The accepted values come from the registered gateways; the message and the OpenAPI enum
    name them as API.md does (stripe or vietqr)."""
    item = f.product(stock=5)
    body = checkout_body([(item, 1)])
    body["payment_method"] = "cash"
    english = client.post("/api/v1/checkout?lang=en", json=body).json["error"]
    assert english["fields"] == {"payment_method": ["Choose a payment method: stripe, vietqr"]}
    vietnamese = client.post("/api/v1/checkout", json=body).json["error"]
    assert vietnamese["fields"] == {"payment_method": ["Chọn cách thanh toán: stripe, vietqr"]}
    assert CheckoutSchema().fields["payment_method"].metadata["enum"] == ["stripe", "vietqr"]
    assert _count(Order) == 0 and _stock(item.id) == 5


def test_checkout_with_an_empty_cart_is_refused(db, client):
    response = client.post("/api/v1/checkout", json=checkout_body())
    assert response.status_code == 422
    assert response.json["error"]["code"] == "cart_empty"


def test_stripe_orders_get_the_shorter_payment_window(db, client, app):
    item = f.product(stock=5)
    stripe = db.session.scalar(sa.select(Order).where(
        Order.code == checkout(client, [(item, 1)], method="stripe").json["order"]["code"]))
    vietqr = db.session.scalar(sa.select(Order).where(
        Order.code == checkout(client, [(item, 1)], method="vietqr").json["order"]["code"]))
    stripe_minutes = (stripe.payment_due_at - stripe.created_at).total_seconds() / 60
    vietqr_minutes = (vietqr.payment_due_at - vietqr.created_at).total_seconds() / 60
    assert round(stripe_minutes) == app.config["PAYMENT_WINDOW_STRIPE_MIN"] == 30
    assert round(vietqr_minutes) == app.config["PAYMENT_WINDOW_VIETQR_MIN"] == 24 * 60


def test_order_codes_and_references_are_unique_and_bank_safe(db, client):
    item = f.product(stock=50)
    codes = {checkout(client, [(item, 1)]).json["order"]["code"] for _ in range(10)}
    assert len(codes) == 10
    refs = db.session.scalars(sa.select(Order.payment_reference)).all()
    assert len(set(refs)) == 10
    assert all(re.fullmatch(r"QN[A-Z2-9]{8}", r) for r in refs)


def test_signed_in_checkout_from_the_cart_belongs_to_the_user_and_empties_the_cart(db, client):
    shopper = f.user()
    f.login_as(client, shopper)
    item = f.product(price_vnd=50_000, stock=10)
    assert client.post("/api/v1/cart/items", json={"product_id": item.id, "quantity": 3}).status_code == 201

    response = checkout(client)

    assert response.status_code == 201, response.json
    assert response.json["order"]["parts"][0]["items"][0]["quantity"] == 3
    assert client.get("/api/v1/cart").json["item_count"] == 0
    listed = client.get("/api/v1/orders").json
    assert listed["total"] == 1 and listed["items"][0]["code"] == response.json["order"]["code"]
    assert _stock(item.id) == 7


def test_guest_checkout_from_the_session_cart(db, client):
    item = f.product(stock=4)
    client.post("/api/v1/cart/items", json={"product_id": item.id, "quantity": 2})

    response = checkout(client)

    assert response.status_code == 201
    code = response.json["order"]["code"]
    assert client.get("/api/v1/cart").json["item_count"] == 0
    # The session that placed it may open it; another browser may not.
    assert client.get(f"/api/v1/orders/{code}").status_code == 200
    assert client.application.test_client().get(f"/api/v1/orders/{code}").status_code == 404


def test_the_answer_is_exactly_the_documented_checkout_result(db, client):
    """The checkout's body, built by the presenters, goes out through its response schema;
    dumping it must change nothing (no field more, none renamed, none reshaped), so that the
    presenters and the documentation agree and a stored answer replays unchanged."""
    coop_a, coop_b = f.producer("HTX A"), f.producer("HTX B")
    tea, honey = f.product(price_vnd=120_000, stock=9, prod=coop_a), f.product(price_vnd=95_000, stock=9, prod=coop_b)
    guest = checkout(client, [(tea, 2), (honey, 1)], note="Gọi trước khi giao")
    shopper = f.user()
    f.login_as(client, shopper)
    signed_in = checkout(client, [(honey, 1)])

    for response in (guest, signed_in):
        assert response.status_code == 201, response.json
        assert CheckoutResultSchema().dump(response.json) == response.json
        assert set(response.json) == {"order", "payment"}
    assert len(guest.json["order"]["parts"]) == 2
    assert guest.json["payment"]["vietqr"]["amount_vnd"] == guest.json["order"]["total_vnd"] > 335_000


@pytest.mark.parametrize("shape", ["one line", "three producers, several lines each", "card (no attempt yet)"])
def test_the_answer_built_from_memory_is_the_order_as_stored(db, client, shape):
    """The rows are written without reading anything back (on PostgreSQL in one statement,
    each child taking its parent's id in the database) and the answer is built from the
    objects in memory: it must be exactly the order the database now holds."""
    coops = [f.producer(f"HTX {name}") for name in ("Ba Chẽ", "Đầm Hà", "Vân Đồn")]
    products = [f.product(price_vnd=10_000 * (i + 1), stock=20, prod=coops[i % 3]) for i in range(7)]
    basket, method = {
        "one line": ([(products[0], 1)], "vietqr"),
        "three producers, several lines each": ([(p, 1 + i % 2) for i, p in enumerate(products)], "vietqr"),
        "card (no attempt yet)": ([(products[1], 2), (products[2], 1)], "stripe"),
    }[shape]

    placed = checkout(client, basket, method=method)

    assert placed.status_code == 201, placed.json
    answered = placed.json["order"]
    assert client.get(f"/api/v1/orders/{answered['code']}").json == answered
    stored = db.session.scalars(sa.select(OrderLine)).all()
    assert sorted((line.product_id, line.quantity) for line in stored) == sorted((p.id, q) for p, q in basket)
    for line in stored:  # each line sits in the part of its product's producer
        assert db.session.get(OrderPart, line.part_id).producer_id == db.session.get(Product, line.product_id).producer_id
    events = db.session.scalars(sa.select(OrderEvent)).all()
    assert sorted(e.part_id or 0 for e in events) == sorted([0, *(p["id"] for p in answered["parts"])])
