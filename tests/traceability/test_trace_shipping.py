"""Orders know their lots: shipping a part records the lots each line came from (oldest
best-before suggested first, units checked against the line), and the shopper's order page and
order API link each line to its lot's passport."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

import factories
from trace_helpers import make_lot, order_of
from marketplace.timeutil import local_today, utcnow
from marketplace.traceability.models import LineLot

SHIP = {"status": "shipped", "carrier": "ghn", "tracking_number": "GHN12345678"}


def _dates(days: int) -> dict:
    return {"best_before": (local_today() + timedelta(days=days)).isoformat()}


def test_the_ship_form_suggests_the_oldest_best_before_first_and_records_the_split(seller_client, db, honey):
    late = make_lot(honey, code="LATE", quantity=50, **_dates(300))
    early = make_lot(honey, code="EARLY", quantity=3, **_dates(30))
    make_lot(honey, code="GONE", quantity=50, **_dates(20)).recalled_at = utcnow()  # never offered
    db.session.commit()
    order = order_of(factories.user("shopper"), honey, quantity=5)
    part, line = order.parts[0], order.parts[0].lines[0]

    page = seller_client.get(f"/seller/orders/{part.id}").get_data(as_text=True)
    assert page.index("EARLY") < page.index("LATE") and "GONE" not in page
    assert f'name="lot-{line.id}-{early.id}" value="3"' in page
    assert f'name="lot-{line.id}-{late.id}" value="2"' in page

    bad = seller_client.post(f"/seller/orders/{part.id}/status",
                             data={**SHIP, f"lot-{line.id}-{early.id}": "3", f"lot-{line.id}-{late.id}": "1"})
    assert bad.status_code == 422 and "(4)" in bad.get_data(as_text=True)
    assert db.session.get(type(part), part.id).status == "confirmed"
    assert db.session.scalar(sa.select(sa.func.count(LineLot.id))) == 0

    ok = seller_client.post(f"/seller/orders/{part.id}/status",
                            data={**SHIP, f"lot-{line.id}-{early.id}": "3", f"lot-{line.id}-{late.id}": "2"})
    assert ok.status_code == 302
    rows = db.session.execute(sa.select(LineLot.lot_id, LineLot.quantity).order_by(LineLot.lot_id)).all()
    assert sorted(rows) == sorted([(early.id, 3), (late.id, 2)])


def test_shipping_through_the_api_records_lots_and_the_shopper_sees_the_passport_links(client, db, seller, honey):
    lot = make_lot(honey, quantity=10)
    shopper = factories.user("shopper", email="khach@example.vn")
    order = order_of(shopper, honey, quantity=4)
    part, line = order.parts[0], order.parts[0].lines[0]
    factories.login_as(client, seller.user)

    too_many = client.patch(f"/api/v1/seller/order-parts/{part.id}", json={
        **SHIP, "lots": [{"line_id": line.id, "lots": [{"lot_id": lot.id, "quantity": 5}]}]})
    assert too_many.status_code == 422, too_many.get_json()
    response = client.patch(f"/api/v1/seller/order-parts/{part.id}", json={
        **SHIP, "lots": [{"line_id": line.id, "lots": [{"lot_id": lot.id, "quantity": 4}]}]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["items"][0]["lots"] == [
        {"id": lot.id, "code": lot.code, "quantity": 4, "passport_url": f"/lots/{lot.id}"}]

    client.post("/logout")
    factories.login_as(client, shopper)
    body = client.get(f"/api/v1/orders/{order.code}").get_json()
    assert body["parts"][0]["items"][0]["lots"][0]["code"] == lot.code
    page = client.get(f"/orders/{order.code}").get_data(as_text=True)
    assert f'href="/lots/{lot.id}"' in page


def test_a_lot_cannot_give_more_units_than_it_has_left(seller_client, db, honey):
    lot = make_lot(honey, quantity=5)
    first = order_of(factories.user("shopper"), honey, quantity=4)
    second = order_of(factories.user("shopper"), honey, quantity=2)
    for order, expected in ((first, 200), (second, 422)):
        part, line = order.parts[0], order.parts[0].lines[0]
        response = seller_client.patch(f"/api/v1/seller/order-parts/{part.id}", json={
            **SHIP, "lots": [{"line_id": line.id, "lots": [{"lot_id": lot.id, "quantity": line.quantity}]}]})
        assert response.status_code == expected, response.get_json()


def test_another_producers_lot_is_refused_when_shipping(client, db, seller, other_seller, honey):
    foreign = make_lot(factories.product("Hàu sữa", prod=other_seller.producer))
    order = order_of(factories.user("shopper"), honey, quantity=1)
    part, line = order.parts[0], order.parts[0].lines[0]
    factories.login_as(client, seller.user)
    response = client.patch(f"/api/v1/seller/order-parts/{part.id}", json={
        **SHIP, "lots": [{"line_id": line.id, "lots": [{"lot_id": foreign.id, "quantity": 1}]}]})
    assert response.status_code == 422
    assert db.session.get(type(part), part.id).status == "confirmed"


def test_order_lists_with_lots_take_a_constant_number_of_queries(client, db, seller, honey, query_counter):
    lot = make_lot(honey, quantity=100)
    one, many = factories.user("shopper", email="mot@example.vn"), factories.user("shopper", email="nhieu@example.vn")
    factories.login_as(client, seller.user)

    def ship(shopper, n):
        for _ in range(n):
            order = order_of(shopper, honey, quantity=1)
            part, line = order.parts[0], order.parts[0].lines[0]
            assert client.patch(f"/api/v1/seller/order-parts/{part.id}", json={
                **SHIP, "lots": [{"line_id": line.id, "lots": [{"lot_id": lot.id, "quantity": 1}]}]}).status_code == 200

    def count(url):
        with query_counter() as q:
            response = client.get(url)
        assert response.status_code == 200
        for item in response.get_json()["items"]:
            part = item["parts"][0] if "parts" in item else item  # a shopper's order, or a seller's part
            assert part["items"][0]["lots"][0]["id"] == lot.id
        return q.count, response.get_json()["total"]

    ship(one, 1)
    few = count("/api/v1/seller/orders")
    ship(many, 4)
    assert count("/api/v1/seller/orders") == (few[0], 5)
    client.post("/logout")
    factories.login_as(client, one)
    few = count("/api/v1/orders")
    client.post("/logout")
    factories.login_as(client, many)
    assert count("/api/v1/orders") == (few[0], 4)
