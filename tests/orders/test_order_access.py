"""One way to find and authorise an order (`orders.access.find_order`), used alike by the order
pages and API, the payment pages and API: the same code, typed any way, opens the same order
for the same people everywhere, and 404s for everyone else."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests import factories as f
from marketplace.errors import NotFound
from marketplace.orders import services
from marketplace.orders.access import access_token, find_order

PAID_AT = datetime(2026, 5, 2, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def placed(shopper_order):
    shopper, code, honey, _tea = shopper_order
    return shopper, services.get_order(code), honey


def test_find_order_answers_every_kind_of_viewer(placed):
    shopper, order, honey = placed
    seller = f.user("seller", producer_id=honey.producer_id)
    loose = order.code.lower().replace("-", " ")

    assert len(find_order(loose, shopper)[1]) == 2
    assert len(find_order(order.code, f.user("admin"))[1]) == 2
    assert len(find_order(order.code, None, token=access_token(order))[1]) == 2
    assert len(find_order(order.code, None, guest_codes=[order.code])[1]) == 2
    for stranger, token in ((None, None), (f.user(), None), (None, "forged"), (seller, None)):
        with pytest.raises(NotFound):
            find_order(order.code, stranger, token=token)

    services.mark_order_paid(order, PAID_AT)
    assert [p.producer_id for p in find_order(order.code, seller)[1]] == [honey.producer_id]
    with pytest.raises(NotFound):  # a seller sees a part, never the whole order (payments, cancelling)
        find_order(order.code, seller, whole=True)
    for nonsense in ("", None, "a\x00b", "X" * 500):
        with pytest.raises(NotFound):
            find_order(nonsense, f.user("admin"))


def test_the_payment_page_and_api_find_the_order_as_the_order_pages_do(placed, client, app):
    """A code typed loosely opened the order page but not its payment page or payment API."""
    _shopper, order, honey = placed
    loose = order.code.lower().replace("-", "")
    assert client.get(f"/orders/{loose}").status_code == 200
    assert client.get(f"/payments/orders/{loose}").status_code == 200
    assert client.get(f"/api/v1/payments/orders/{loose}").json["amount_vnd"] == order.total_vnd
    guest = app.test_client()
    assert guest.get(f"/payments/orders/{loose}?t={access_token(order)}").status_code == 200
    assert guest.get(f"/payments/orders/{loose}").status_code == 404
    assert guest.get(f"/api/v1/payments/orders/{order.code}").status_code == 404

    services.mark_order_paid(order, PAID_AT)
    seller = app.test_client()
    f.login_as(seller, f.user("seller", producer_id=honey.producer_id))
    assert seller.get(f"/api/v1/orders/{order.code}").status_code == 200  # their part
    assert seller.get(f"/payments/orders/{order.code}").status_code == 404  # not the whole order's payment
    assert seller.get(f"/api/v1/payments/orders/{order.code}").status_code == 404
