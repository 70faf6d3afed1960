"""Real races, on whichever database the suite runs against (SQLite by default, PostgreSQL
with DATABASE_URL): many shoppers buying the last units at once, and expiry run twice at once."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import sqlalchemy as sa

from tests import factories as f
from tests.factories import checkout_body, place_order, stock_of
from marketplace.extensions import db as _db
from marketplace.orders import services
from marketplace.orders.models import Order, OrderEvent, OrderLine
from marketplace.timeutil import utcnow

BUYERS = 24
UNITS = 7


def _run_together(n: int, job):
    barrier = threading.Barrier(n)

    def runner(i):
        barrier.wait()
        return job(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(runner, range(n)))


def test_many_shoppers_buying_the_last_units_never_oversell(app, db):
    last_units = f.product("Ba kích tím Ba Chẽ", stock=UNITS)
    other = f.product("Miến dong Bình Liêu", stock=1000)
    body = checkout_body([(last_units, 1), (other, 1)])

    def buy(_i):
        with app.test_client() as client:
            response = client.post("/api/v1/checkout", json=body)
            return response.status_code, response.get_json()

    results = _run_together(BUYERS, buy)

    statuses = sorted(code for code, _ in results)
    assert statuses == [201] * UNITS + [409] * (BUYERS - UNITS), statuses
    assert all(body["error"]["code"] == "insufficient_stock" for code, body in results if code == 409)
    assert stock_of(last_units) == 0
    assert stock_of(other) == 1000 - UNITS  # refused checkouts reserved nothing of the other line
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == UNITS
    sold = db.session.scalar(sa.select(sa.func.sum(OrderLine.quantity)).where(OrderLine.product_id == last_units.id))
    assert sold == UNITS


def test_expiry_run_twice_at_once_releases_stock_once(app, db):
    item = f.product(stock=100)
    orders = [place_order([(item, 3)]) for _ in range(8)]
    db.session.execute(sa.update(Order).values(payment_due_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert stock_of(item) == 100 - 8 * 3
    ids = [o.id for o in orders]

    def expire(_i):
        with app.app_context():
            try:
                return services.expire_unpaid(ids)
            finally:
                _db.session.remove()

    expired_per_run = _run_together(2, expire)

    assert sum(expired_per_run) == 8
    assert stock_of(item) == 100
    expired_events = db.session.scalar(sa.select(sa.func.count()).select_from(OrderEvent)
                                       .where(OrderEvent.to_status == "expired"))
    assert expired_events == 8
