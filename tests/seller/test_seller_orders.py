"""The producer's orders: filters, confirm, ship, deliver, cancel with a reason; packing slip; the API."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests import factories
from marketplace.catalog.models import Product
from marketplace.extensions import db as _db
from marketplace.orders.models import Order, OrderEvent, OrderPart
from marketplace.payments.models import Refund
from tests.factories import paid_order, place_order



def my_part(order, producer) -> OrderPart:
    _db.session.expire_all()
    return _db.session.scalar(sa.select(OrderPart).where(OrderPart.order_id == order.id,
                                                         OrderPart.producer_id == producer.id))


def stock(product) -> int:
    _db.session.expire_all()
    return _db.session.get(Product, product.id).stock


@pytest.fixture
def paid(app, db, seller, other_seller):
    """A paid order with a part for each producer: 3 × tea from us, 1 × fish sauce from them."""
    tea = factories.product("Trà hoa vàng", prod=seller.producer, price_vnd=350_000, stock=10)
    sauce = factories.product("Nước mắm", prod=other_seller.producer, price_vnd=120_000, stock=10)
    order = paid_order([(tea, 3), (sauce, 1)])
    assert order.status == "paid"
    return order, tea, sauce


def test_the_seller_sees_only_its_own_parts_of_paid_orders(client, app, db, seller, other_seller, paid):
    order, tea, sauce = paid
    unpaid_tea = factories.product("Trà chưa trả tiền", prod=seller.producer, stock=5)
    place_order([(unpaid_tea, 1)])  # unpaid: not the seller's to ship yet
    factories.login_as(client, seller.user)
    page = client.get("/seller/orders").get_data(as_text=True)
    assert order.code in page and "Trà hoa vàng" in page and "Nước mắm" not in page
    assert "Trà chưa trả tiền" not in page

    api = client.get("/api/v1/seller/orders").json
    assert api["total"] == 1
    item = api["items"][0]
    assert item["order"]["code"] == order.code and item["status"] == "pending"
    assert [(i["name"], i["quantity"], i["line_total_vnd"]) for i in item["items"]] == [("Trà hoa vàng", 3, 1_050_000)]
    assert item["allowed_moves"] == ["confirmed", "cancelled"]
    assert item["order"]["shipping_address"]["province"] == "Quảng Ninh"


def test_confirm_ship_and_deliver_through_the_portal(client, app, db, seller, paid):
    order, tea, _ = paid
    part = my_part(order, seller.producer)
    factories.login_as(client, seller.user)
    assert client.get("/seller/orders?filter=new").get_data(as_text=True).count(order.code) == 1

    # Shipping before confirming is not offered, and refused when forced.
    detail = client.get(f"/seller/orders/{part.id}").get_data(as_text=True)
    assert 'value="shipped"' not in detail and 'value="confirmed"' in detail
    forced = client.patch(f"/api/v1/seller/order-parts/{part.id}",
                          json={"status": "shipped", "carrier": "ghn", "tracking_number": "GHN123456"})
    assert forced.status_code == 409 and forced.json["error"]["code"] == "invalid_transition"

    assert client.post(f"/seller/orders/{part.id}/status", data={"status": "confirmed"}).status_code == 302
    assert my_part(order, seller.producer).status == "confirmed"
    assert order.code in client.get("/seller/orders?filter=to_ship").get_data(as_text=True)

    missing = client.post(f"/seller/orders/{part.id}/status", data={"status": "shipped", "carrier": "ghn",
                                                                    "tracking_number": ""})
    assert missing.status_code == 422 and "Mã vận đơn" in missing.get_data(as_text=True)
    assert client.post(f"/seller/orders/{part.id}/status", data={
        "status": "shipped", "carrier": "viettelpost", "tracking_number": "VTP 8812 3456"}).status_code == 302
    shipped = my_part(order, seller.producer)
    assert (shipped.status, shipped.carrier, shipped.tracking_number) == ("shipped", "viettelpost", "VTP88123456")

    # The carrier is named, not shown as its code, on the part's page and the packing slip.
    assert "Viettel Post · <code>VTP88123456</code>" in client.get(f"/seller/orders/{part.id}").get_data(as_text=True)
    slip = client.get(f"/seller/orders/{part.id}/packing-slip").get_data(as_text=True)
    assert order.code in slip and "Trà hoa vàng" in slip and "Số 12, phố Cao Thắng" in slip
    assert "Viettel Post · VTP88123456" in slip
    assert "350" not in slip.split("<table")[1].split("</table>")[0]  # no prices inside the parcel list

    delivered = client.patch(f"/api/v1/seller/order-parts/{part.id}", json={"status": "delivered"})
    assert delivered.status_code == 200 and delivered.json["status"] == "delivered"
    assert delivered.json["allowed_moves"] == []
    events = db.session.scalars(sa.select(OrderEvent.to_status).where(OrderEvent.part_id == part.id)
                                .order_by(OrderEvent.id)).all()
    assert events == ["pending", "confirmed", "shipped", "delivered"]


@pytest.mark.parametrize("body", [{"status": [None], "carrier": [], "tracking_number": []},
                                  {"status": {"x": 1}}, {"status": "cancelled", "reason": 5}])
def test_a_move_that_is_not_text_is_422_and_changes_nothing(client, db, seller, paid, body):
    """Found by the stateful API fuzzer: a list as `status` reached the service as a 500."""
    order, _, _ = paid
    part = my_part(order, seller.producer)
    factories.login_as(client, seller.user)
    response = client.patch(f"/api/v1/seller/order-parts/{part.id}", json=body)
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {k for k, v in body.items() if not isinstance(v, str)}
    assert my_part(order, seller.producer).status == "pending"


def test_a_paid_part_cancelled_by_its_producer_returns_stock_and_refunds_once(client, app, db, seller, paid):
    order, tea, sauce = paid
    part = my_part(order, seller.producer)
    assert stock(tea) == 7
    factories.login_as(client, seller.user)

    no_reason = client.post(f"/seller/orders/{part.id}/status", data={"status": "cancelled", "reason": " "})
    assert no_reason.status_code == 422 and my_part(order, seller.producer).status == "pending"

    response = client.post(f"/seller/orders/{part.id}/status",
                           data={"status": "cancelled", "reason": "Hết hàng do mưa bão"})
    assert response.status_code == 302
    assert my_part(order, seller.producer).status == "cancelled"
    assert stock(tea) == 10 and stock(sauce) == 9  # only this producer's stock comes back
    refunds = db.session.scalars(sa.select(Refund)).all()
    assert [(r.part_id, r.amount_vnd) for r in refunds] == [(part.id, part.total_vnd)]

    again = client.patch(f"/api/v1/seller/order-parts/{part.id}", json={"status": "cancelled", "reason": "lần nữa"})
    assert again.status_code == 409
    assert stock(tea) == 10
    assert db.session.scalar(sa.select(sa.func.count(Refund.id))) == 1
    _db.session.expire_all()
    assert _db.session.get(Order, order.id).status == "paid"  # the other producer's part still ships


def test_another_producers_part_is_not_found_and_unchanged(client, app, db, seller, other_seller, paid):
    order, tea, sauce = paid
    theirs = my_part(order, other_seller.producer)
    factories.login_as(client, seller.user)
    for method, url, kwargs in [
        ("GET", f"/seller/orders/{theirs.id}", {}),
        ("POST", f"/seller/orders/{theirs.id}/status", {"data": {"status": "cancelled", "reason": "x"}}),
        ("GET", f"/seller/orders/{theirs.id}/packing-slip", {}),
        ("GET", f"/api/v1/seller/order-parts/{theirs.id}", {}),
        ("PATCH", f"/api/v1/seller/order-parts/{theirs.id}", {"json": {"status": "confirmed"}}),
    ]:
        assert client.open(url, method=method, **kwargs).status_code == 404, url
    after = my_part(order, other_seller.producer)
    assert after.status == "pending" and stock(sauce) == 9
    assert db.session.scalar(sa.select(sa.func.count(Refund.id))) == 0


def test_the_order_list_takes_a_constant_number_of_queries(app, client, db, seller, query_counter):
    factories.login_as(client, seller.user)
    tea = factories.product(prod=seller.producer, stock=100)
    paid_order([(tea, 1)])
    with query_counter() as one_api:
        assert client.get("/api/v1/seller/orders").json["total"] == 1
    with query_counter() as one_web:
        assert client.get("/seller/orders").status_code == 200
    for n in range(6):
        paid_order([(tea, 1)])
    with query_counter() as many_api:
        assert client.get("/api/v1/seller/orders").json["total"] == 7
    with query_counter() as many_web:
        assert client.get("/seller/orders").status_code == 200
    # user, count, parts with their orders, the orders' history, the parts' lines (+ the tab counts on the page);
    # the API also reads the page's invoice requests (one query)
    assert many_api.count == one_api.count == 6
    assert many_web.count == one_web.count == 7  # and the header's cart count
