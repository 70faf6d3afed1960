"""Checkout and the payments domain together: a bank transfer pays a placed order, a paid
order cancelled by the shopper gets its refund, an expired Stripe session expires the order."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests import factories as f
from tests.factories import checkout, reload, stock_of
from marketplace.catalog.models import Product
from marketplace.orders import services
from marketplace.orders.models import OrderEvent
from marketplace.payments.models import Refund
from tests.payments.helpers import ACCOUNT_NO, SEPAY_KEY, bank_now, post_sepay, sepay_body


@pytest.fixture
def bank(app):
    saved = {k: app.config[k] for k in ("SEPAY_API_KEY", "VIETQR_ACCOUNT_NO")}
    app.config.update(SEPAY_API_KEY=SEPAY_KEY, VIETQR_ACCOUNT_NO=ACCOUNT_NO)
    yield
    app.config.update(saved)


def test_a_bank_transfer_with_the_reference_pays_a_checked_out_order(db, client, app, bank):
    coop = f.producer("HTX Miến dong Bình Liêu", email="mien@htx.vn")
    item = f.product("Miến dong", price_vnd=120_000, stock=10, prod=coop)
    placed = checkout(client, [(item, 2)]).json
    order = services.get_order(placed["order"]["code"])
    # Banks upper-case, strip punctuation and add their own words around the description.
    description = f"MBVCB.123 {order.payment_reference.lower()} thanh toan don hang"

    response = post_sepay(app.test_client(), sepay_body(order, order.total_vnd, txn_id=4242, content=description,
                                                                when=bank_now()))

    assert response.status_code == 200
    order = reload(order)
    assert order.status == "paid" and order.payment_status == "paid"
    assert db.session.get(Product, item.id).sold_count == 2
    paid = db.session.scalars(sa.select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                          OrderEvent.to_status == "paid")).one()
    assert paid.actor_label == "sepay"


def test_cancelling_a_paid_bank_transfer_order_leaves_a_refund_due(db, client, app, bank):
    item = f.product(price_vnd=200_000, stock=5)
    code = checkout(client, [(item, 1)]).json["order"]["code"]
    order = services.get_order(code)
    post_sepay(app.test_client(), sepay_body(order, order.total_vnd, txn_id=777, when=bank_now()))
    assert reload(order).status == "paid"

    response = client.post(f"/api/v1/orders/{code}/cancel", json={"reason": "Đổi ý"})

    assert response.status_code == 200 and response.json["status"] == "cancelled"
    refund = db.session.scalars(sa.select(Refund)).one()
    assert (refund.status, refund.amount_vnd, refund.method) == ("due", order.total_vnd, "vietqr")
    assert stock_of(item) == 5
