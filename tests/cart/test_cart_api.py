"""The cart: session cart for guests, stored cart for shoppers, merged at login, grouped by producer."""
from __future__ import annotations

import pytest
from flask import session

from tests import factories as f
from marketplace.accounts.sessions import sign_in
from marketplace.cart import services as cart
from marketplace.catalog.models import Product
from marketplace.extensions import db as _db


def _add(client, product, quantity=1):
    return client.post("/api/v1/cart/items", json={"product_id": product.id, "quantity": quantity})


def test_cart_groups_lines_by_producer_with_subtotals_and_shipping(db, client):
    coop_a = f.producer("HTX Nấm Tiên Yên", shipping_fee_vnd=20_000, free_shipping_threshold_vnd=200_000)
    coop_b = f.producer("Cơ sở Chả mực", shipping_fee_vnd=35_000, free_shipping_threshold_vnd=900_000)
    mushrooms = f.product("Nấm hương", price_vnd=90_000, stock=10, prod=coop_a)
    squid = f.product("Chả mực giã tay", price_vnd=420_000, stock=10, prod=coop_b)

    assert _add(client, mushrooms, 2).status_code == 201
    response = _add(client, squid, 1)

    assert response.status_code == 201
    body = response.json
    assert [g["producer"]["name"] for g in body["groups"]] == ["HTX Nấm Tiên Yên", "Cơ sở Chả mực"]
    first, second = body["groups"]
    assert (first["subtotal_vnd"], first["shipping_vnd"], first["total_vnd"]) == (180_000, 20_000, 200_000)
    assert (second["subtotal_vnd"], second["shipping_vnd"]) == (420_000, 35_000)
    assert first["items"][0] == {"product_id": mushrooms.id, "slug": mushrooms.slug, "name": "Nấm hương",
                                 "unit": "hộp 500 g", "unit_price_vnd": 90_000, "quantity": 2,
                                 "line_total_vnd": 180_000, "available": 10, "problem": None}
    assert (body["item_count"], body["subtotal_vnd"], body["shipping_vnd"], body["total_vnd"]) == (
        3, 600_000, 55_000, 655_000)
    assert body["can_checkout"] is True


def test_adding_again_adds_up_and_patch_sets_and_delete_removes(db, client):
    item = f.product(stock=10)
    _add(client, item, 2)
    assert _add(client, item, 3).json["item_count"] == 5
    assert client.patch(f"/api/v1/cart/items/{item.id}", json={"quantity": 1}).json["item_count"] == 1
    response = client.delete(f"/api/v1/cart/items/{item.id}")
    assert response.status_code == 200 and response.json["groups"] == []
    assert client.patch(f"/api/v1/cart/items/{item.id}", json={"quantity": 1}).status_code == 404


def test_quantity_beyond_stock_is_409_with_what_is_available(db, client):
    item = f.product("Hải sâm", stock=3)
    _add(client, item, 2)
    response = _add(client, item, 2)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "insufficient_stock"
    assert response.json["error"]["available"] == 3
    assert client.get("/api/v1/cart").json["item_count"] == 2


@pytest.mark.parametrize("body", [
    {"product_id": 1, "quantity": 0},
    {"product_id": 1, "quantity": 100},
    {"product_id": "1", "quantity": 1},
    {"quantity": 1},
])
def test_bad_quantities_are_422(db, client, body):
    response = client.post("/api/v1/cart/items", json=body)
    assert response.status_code == 422


def test_archived_draft_or_unapproved_products_cannot_be_added(db, client):
    archived = f.product(status="archived")
    hidden_producer = f.product(prod=f.producer(approved=False))
    assert _add(client, archived).status_code == 404
    assert _add(client, hidden_producer).status_code == 404
    assert _add(client, type("P", (), {"id": 999999})()).status_code == 404


def test_lines_that_can_no_longer_be_bought_are_flagged_not_dropped(db, client):
    archived_later = f.product("Rượu mơ", price_vnd=150_000, stock=5)
    sold_out_later = f.product("Bánh gai", price_vnd=40_000, stock=5)
    short_later = f.product("Trà", price_vnd=100_000, stock=5)
    fine = f.product("Mật ong", price_vnd=200_000, stock=5)
    for item in (archived_later, sold_out_later, short_later, fine):
        _add(client, item, 3)
    _db.session.get(Product, archived_later.id).status = "archived"
    _db.session.get(Product, sold_out_later.id).stock = 0
    _db.session.get(Product, short_later.id).stock = 2
    _db.session.commit()

    body = client.get("/api/v1/cart").json

    problems = {i["name"]: i["problem"] for g in body["groups"] for i in g["items"]}
    assert problems == {"Rượu mơ": "unavailable", "Bánh gai": "out_of_stock", "Trà": "insufficient_stock",
                        "Mật ong": None}
    assert body["can_checkout"] is False
    # Lines that cannot be bought at all do not count towards the totals.
    assert body["subtotal_vnd"] == 3 * 100_000 + 3 * 200_000


def test_a_signed_in_cart_is_stored_and_follows_the_shopper(db, client, app):
    shopper = f.user()
    item = f.product(stock=10)
    f.login_as(client, shopper)
    _add(client, item, 4)

    other_device = app.test_client()
    f.login_as(other_device, shopper)
    assert other_device.get("/api/v1/cart").json["item_count"] == 4


def test_the_guest_cart_merges_into_the_stored_cart_at_login(db, app):
    shopper = f.user()
    both = f.product(stock=50)
    guest_only = f.product(stock=50)
    stored_only = f.product(stock=50)
    cart.add_item(cart.CartRef(user_id=shopper.id), both.id, 2)
    cart.add_item(cart.CartRef(user_id=shopper.id), stored_only.id, 1)

    with app.test_request_context():
        session[cart.SESSION_KEY] = {str(both.id): 3, str(guest_only.id): 5}
        sign_in(shopper)  # what every login path (web form, API) calls
        assert cart.SESSION_KEY not in session

    assert cart.get_quantities(cart.CartRef(user_id=shopper.id)) == {both.id: 5, stored_only.id: 1,
                                                                   guest_only.id: 5}


def test_merge_caps_a_line_at_the_maximum(db, app):
    shopper = f.user()
    item = f.product(stock=500)
    cart.add_item(cart.CartRef(user_id=shopper.id), item.id, 90)
    guest_session = {cart.SESSION_KEY: {str(item.id): 50}}
    assert cart.merge_guest_cart(shopper.id, guest_session) == 1
    assert cart.get_quantities(cart.CartRef(user_id=shopper.id)) == {item.id: cart.MAX_LINE_QUANTITY}


def test_a_tampered_session_cart_is_ignored_not_a_500(db, client):
    with client.session_transaction() as sess:
        sess[cart.SESSION_KEY] = {"abc": "x", "-1": 3, "5": 10_000}
    response = client.get("/api/v1/cart")
    assert response.status_code == 200 and response.json["groups"] == []


def test_logging_in_through_the_api_brings_the_guest_cart_along(db, client):
    shopper = f.user(email="khach@example.vn")
    item = f.product(stock=10)
    _add(client, item, 3)

    assert f.login(client, "khach@example.vn").status_code == 200

    body = client.get("/api/v1/cart").json
    assert body["item_count"] == 3
    assert cart.get_quantities(cart.CartRef(user_id=shopper.id)) == {item.id: 3}
