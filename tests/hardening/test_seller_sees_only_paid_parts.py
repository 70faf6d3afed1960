"""A seller sees a buyer's contact and address only for a part of an order that was paid.

Knowing the code of an order that was never paid (cancelled, or expired past its payment
window) shows a seller nothing: not the page, not the API, not who ordered or where to.
"""
from __future__ import annotations

import pytest

from marketplace.orders.services import cancel_order, expire_order, mark_order_paid
from marketplace.timeutil import utcnow
from tests import factories
from tests.api.envelope import error_of
from tests.factories import place_order, reload


def _order_and_seller():
    product = factories.product("Trà hoa vàng", stock=5)
    order = place_order([(product, 1)])
    return order, factories.user("seller", producer_id=product.producer_id)


@pytest.mark.parametrize("end", ["cancelled", "expired"])
def test_a_seller_never_sees_an_unpaid_order(db, client, web, end):
    order, seller = _order_and_seller()
    if end == "cancelled":
        cancel_order(order, "shopper", "đổi ý")
    else:
        expire_order(order, now=utcnow())
    assert reload(order).status == end and reload(order).paid_at is None
    factories.login_as(client, seller)
    error_of(client.get(f"/api/v1/orders/{order.code}"), 404)
    factories.login_as(web, seller)
    page = web.get(f"/orders/{order.code}")
    assert page.status_code == 404
    assert order.contact_phone not in page.get_data(as_text=True)


def test_a_seller_sees_the_contact_of_a_paid_part_even_once_cancelled(db, client):
    order, seller = _order_and_seller()
    mark_order_paid(order, utcnow())
    cancel_order(reload(order), factories.user("admin"), "hết hàng")
    factories.login_as(client, seller)
    body = client.get(f"/api/v1/orders/{order.code}").get_json()
    assert body["contact"]["phone"] == order.contact_phone
