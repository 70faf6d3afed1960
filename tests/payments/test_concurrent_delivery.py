"""At-least-once delivery, at the same time: 20 simultaneous copies of one notification
pay the order once and book the money once (the unique provider event id and the order
row lock decide, not the order in which requests happen to run)."""
from __future__ import annotations

import json
import threading

import sqlalchemy as sa

from marketplace.extensions import db as _db
from marketplace.orders.models import Order, OrderEvent
from marketplace.payments.models import LedgerEntry, ProviderEvent

from .helpers import SEPAY_KEY, casso_body, casso_signature_header, make_order, sepay_body


def deliver_concurrently(app, path: str, body: bytes, headers: dict, copies: int = 20) -> list[int]:
    statuses: list[int] = []
    start = threading.Barrier(copies)

    def send():
        client = app.test_client()
        start.wait()
        with app.app_context():
            statuses.append(client.post(path, data=body, headers=headers, content_type="application/json").status_code)

    threads = [threading.Thread(target=send) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def assert_paid_once(order: Order):
    _db.session.expire_all()
    assert _db.session.get(Order, order.id).status == "paid"
    count = lambda model, *w: _db.session.execute(sa.select(sa.func.count()).select_from(model).where(*w)).scalar_one()
    assert count(LedgerEntry) == 1 and count(ProviderEvent) == 1
    assert count(OrderEvent, OrderEvent.order_id == order.id, OrderEvent.to_status == "paid") == 1


def test_20_simultaneous_sepay_deliveries_pay_once(app):
    with app.app_context():
        order = make_order()
        body = json.dumps(sepay_body(order, order.total_vnd, txn_id=31337)).encode()
        statuses = deliver_concurrently(app, "/payments/sepay/webhook", body, {"Authorization": f"Apikey {SEPAY_KEY}"})
        assert statuses == [200] * 20
        assert_paid_once(order)
        _db.session.remove()


def test_20_simultaneous_casso_deliveries_pay_once(app):
    with app.app_context():
        order = make_order()
        payload = casso_body(order, order.total_vnd, txn_id=4242)
        body = json.dumps(payload, ensure_ascii=False).encode()
        statuses = deliver_concurrently(app, "/payments/casso/webhook", body,
                                        {"X-Casso-Signature": casso_signature_header(payload)})
        assert statuses == [200] * 20
        assert_paid_once(order)
        _db.session.remove()
