"""Orders API: who sees what, shopper cancel, public tracking, and constant query counts."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests import factories as f
from tests.factories import checkout, place_order, reload, stock_of
from marketplace.orders import services

PAID_AT = datetime(2026, 5, 2, 3, 0, tzinfo=timezone.utc)


def test_the_shopper_lists_and_opens_their_orders(shopper_order, client):
    _, code, *_ = shopper_order
    listed = client.get("/api/v1/orders").json
    assert listed["total"] == 1 and listed["page"] == 1 and listed["per_page"] == 20
    assert listed["items"][0]["code"] == code
    detail = client.get(f"/api/v1/orders/{code}")
    assert detail.status_code == 200
    assert len(detail.json["parts"]) == 2
    # Codes may be typed loosely.
    assert client.get(f"/api/v1/orders/{code.lower().replace('-', '')}").status_code == 200


def test_orders_list_needs_a_signed_in_user(db, client):
    assert client.get("/api/v1/orders").status_code == 401


def test_someone_elses_order_is_404(shopper_order, app):
    _, code, *_ = shopper_order
    stranger = app.test_client()
    f.login_as(stranger, f.user())
    assert stranger.get(f"/api/v1/orders/{code}").status_code == 404
    assert stranger.post(f"/api/v1/orders/{code}/cancel", json={}).status_code == 404
    assert app.test_client().get(f"/api/v1/orders/{code}").status_code == 404


def test_an_admin_sees_the_whole_order(shopper_order, app):
    _, code, *_ = shopper_order
    admin = app.test_client()
    f.login_as(admin, f.user("admin"))
    assert len(admin.get(f"/api/v1/orders/{code}").json["parts"]) == 2


def test_a_seller_sees_only_their_part_of_a_paid_order(shopper_order, app):
    _, code, honey, _ = shopper_order
    seller_client = app.test_client()
    f.login_as(seller_client, f.user("seller", producer_id=honey.producer_id))
    assert seller_client.get(f"/api/v1/orders/{code}").status_code == 404  # unpaid: not theirs yet
    services.mark_order_paid(services.get_order(code), PAID_AT)
    body = seller_client.get(f"/api/v1/orders/{code}").json
    assert [p["producer"]["id"] for p in body["parts"]] == [honey.producer_id]
    assert body["total_vnd"] == body["parts"][0]["total_vnd"]


def test_the_shopper_cancels_an_unpaid_order_and_the_stock_returns(shopper_order, client):
    _, code, honey, tea = shopper_order
    response = client.post(f"/api/v1/orders/{code}/cancel", json={"reason": "Đổi địa chỉ"})
    assert response.status_code == 200
    assert response.json["status"] == "cancelled"
    assert response.json["history"][-1] == {"status": "cancelled", "at": response.json["history"][-1]["at"],
                                            "note": "Đổi địa chỉ"}
    assert (stock_of(honey), stock_of(tea)) == (10, 10)
    again = client.post(f"/api/v1/orders/{code}/cancel", json={})
    assert again.status_code == 409 and again.json["error"]["code"] == "invalid_transition"


def test_cancel_after_shipping_is_409(shopper_order, client):
    _, code, *_ = shopper_order
    order = services.get_order(code)
    services.mark_order_paid(order, PAID_AT)
    part = reload(order).parts[0]
    services.update_part_status(part, "confirmed", "admin")
    services.update_part_status(part, "shipped", "admin", carrier="ghn", tracking_number="LBX123456")
    response = client.post(f"/api/v1/orders/{code}/cancel", json={})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "already_shipped"


def test_a_guest_cancels_from_the_session_that_placed_the_order(db, client):
    item = f.product(stock=5)
    code = checkout(client, [(item, 2)]).json["order"]["code"]
    assert client.post(f"/api/v1/orders/{code}/cancel", json={}).status_code == 200
    assert stock_of(item) == 5


def test_tracking_by_code_and_phone_shows_the_timeline_without_personal_data(db, client, app):
    item = f.product("Trà hoa vàng", stock=5)
    code = checkout(client, [(item, 1)]).json["order"]["code"]
    order = services.get_order(code)
    services.mark_order_paid(order, PAID_AT)
    part = reload(order).parts[0]
    services.update_part_status(part, "confirmed", "admin")
    services.update_part_status(part, "shipped", "admin", carrier="ghtk", tracking_number="S19827.SG01")

    anyone = app.test_client()
    response = anyone.get(f"/api/v1/track/{code}?phone=+84912345678")

    assert response.status_code == 200
    body = response.json
    assert body["status"] == "paid"
    tracked = body["parts"][0]
    assert tracked["status"] == "shipped"
    assert tracked["tracking"]["carrier"] == "ghtk"
    assert tracked["tracking"]["number"] == "S19827.SG01"
    assert tracked["tracking"]["url"] == "https://i.ghtk.vn/S19827.SG01"
    assert [h["status"] for h in tracked["history"]] == ["pending", "confirmed", "shipped"]
    text = response.get_data(as_text=True)
    for private in ("Nguyễn Thị Lan", "0912345678", "lan@example.vn", "Cao Thắng", "Hạ Long"):
        assert private not in text
    assert "contact" not in body and "shipping_address" not in body


def test_a_wrong_phone_answers_like_an_unknown_code(db, client, app):
    item = f.product(stock=5)
    code = checkout(client, [(item, 1)]).json["order"]["code"]
    anyone = app.test_client()
    wrong_phone = anyone.get(f"/api/v1/track/{code}?phone=0987654321")
    unknown = anyone.get("/api/v1/track/ABCDE-FGHJK?phone=0912345678")
    garbage = anyone.get(f"/api/v1/track/{code}?phone=hello")
    assert wrong_phone.status_code == unknown.status_code == garbage.status_code == 404
    assert wrong_phone.json == unknown.json == garbage.json
    assert anyone.get(f"/api/v1/track/{code}").status_code == 422  # the phone is required


def _seed_orders(client, user, n: int):
    f.login_as(client, user)
    producers = [f.producer() for _ in range(3)]
    products = [f.product(stock=1000, prod=p) for p in producers]
    for i in range(n):
        checkout(client, [(products[i % 3], 1), (products[(i + 1) % 3], 2)])


def test_order_list_query_count_is_constant_in_the_page_size(db, client, app, query_counter):
    shopper = f.user()
    _seed_orders(client, shopper, 12)
    counts = {}
    for per_page in (2, 12):
        db.session.expire_all()  # the test's open session must not serve the user from memory
        with query_counter() as q:
            response = client.get(f"/api/v1/orders?per_page={per_page}")
        assert response.status_code == 200 and len(response.json["items"]) == per_page
        counts[per_page] = q.count
    # user, count, orders, parts (producers joined), lines, history, and the e-invoice fields:
    # invoice requests, part invoices (their refunds only when a part has an invoice)
    assert counts == {2: 8, 12: 8}
