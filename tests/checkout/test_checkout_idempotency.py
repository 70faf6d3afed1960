"""A checkout is safe to retry: `Idempotency-Key` on the API, a hidden key on the web form.

Same key + same body: the first answer (same order, same payment), nothing created again.
Same key + another body: 422. Keys live 24 hours. Two concurrent requests with one key
create one order (a unique constraint; real threads, on SQLite and PostgreSQL)."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories as f
from tests.factories import checkout_body, stock_of
from marketplace.checkout.models import IdempotencyKey
from marketplace.extensions import db as _db
from marketplace.orders.models import Order
from marketplace.payments.models import PaymentAttempt
from marketplace.timeutil import utcnow

WEB_FORM = {"full_name": "Trần Văn Minh", "phone": "0987 654 321", "email": "minh@example.vn",
            "line1": "Thôn Đồng Tâm", "ward": "Xã Ba Chẽ", "province": "Quảng Ninh", "payment_method": "vietqr",
            "note": ""}


def _count(model) -> int:
    _db.session.rollback()
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _post(client, body, key=None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post("/api/v1/checkout", json=body, headers=headers)


def test_the_same_key_and_body_return_the_first_answer_and_create_nothing_more(db, client, other_client):
    item = f.product(price_vnd=150_000, stock=5)
    body = checkout_body([(item, 2)])

    first = _post(client, body, "order-7f0c2a5e")
    again = _post(other_client, body, "order-7f0c2a5e")  # e.g. the app retried after a timeout

    assert first.status_code == again.status_code == 201
    assert again.json == first.json  # same order, same payment (VietQR reference and payload)
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert _count(Order) == 1 and _count(PaymentAttempt) == 1
    assert stock_of(item) == 3  # reserved once


def test_the_same_key_with_another_body_is_refused(db, client):
    item = f.product(stock=5)
    assert _post(client, checkout_body([(item, 1)]), "k-1").status_code == 201
    response = _post(client, checkout_body([(item, 2)]), "k-1")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in response.json["error"]["fields"]
    assert _count(Order) == 1 and stock_of(item) == 4


def test_without_a_key_every_request_is_a_new_order(db, client):
    item = f.product(stock=5)
    body = checkout_body([(item, 1)])
    assert _post(client, body).status_code == _post(client, body).status_code == 201
    assert _count(Order) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "mã-đơn", "with space"])
def test_a_malformed_key_is_refused_with_nothing_created(db, client, key):
    item = f.product(stock=5)
    response = _post(client, checkout_body([(item, 1)]), key)
    assert response.status_code == 422, response.json
    assert "Idempotency-Key" in response.json["error"]["fields"]
    assert _count(Order) == 0


def test_keys_belong_to_their_user(db, client, other_client):
    item = f.product(stock=5)
    body = checkout_body([(item, 1)])
    f.login_as(client, f.user())
    mine = _post(client, body, "same-key")
    guests = _post(other_client, body, "same-key")
    assert mine.status_code == guests.status_code == 201
    assert mine.json["order"]["code"] != guests.json["order"]["code"]


def test_a_key_lives_24_hours(db, client):
    item = f.product(stock=5)
    body = checkout_body([(item, 1)])
    first = _post(client, body, "daily")
    _db.session.execute(sa.update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=24, seconds=1),
                                                         expires_at=utcnow() - timedelta(seconds=1)))
    _db.session.commit()
    later = _post(client, body, "daily")
    assert later.status_code == 201 and later.json["order"]["code"] != first.json["order"]["code"]
    assert _count(Order) == 2
    assert _count(IdempotencyKey) == 1  # the expired record made way for the new one


def test_expired_keys_are_forgotten_by_the_daily_command(app, db, client):
    item = f.product(stock=5)
    _post(client, checkout_body([(item, 1)]), "old")
    _post(client, checkout_body([(item, 1)]), "new")
    _db.session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.key == "old")
                        .values(expires_at=utcnow() - timedelta(minutes=1)))
    _db.session.commit()
    result = app.test_cli_runner().invoke(args=["checkout", "forget-keys"])
    assert result.exit_code == 0 and "đã xoá 1 khoá" in result.output
    _db.session.rollback()
    assert _db.session.scalars(sa.select(IdempotencyKey.key)).all() == ["new"]


def test_a_card_checkout_retried_gets_the_same_stripe_session(db, client):
    item = f.product(stock=5)
    body = checkout_body([(item, 1)], method="stripe")
    first = _post(client, body, "card-1")
    again = _post(client, body, "card-1")
    assert first.json["payment"]["checkout_url"] == again.json["payment"]["checkout_url"]
    assert _count(PaymentAttempt) == 1


def test_an_answer_lost_by_a_dead_first_request_is_rebuilt_from_its_order(db, client):
    """The first request committed its order but died before storing its answer: a retry
    within a minute is told to wait (409), later it gets the order and its open payment."""
    item = f.product(stock=5)
    body = checkout_body([(item, 1)])
    first = _post(client, body, "lost")
    _db.session.execute(sa.update(IdempotencyKey).values(response=None))
    _db.session.commit()
    waiting = _post(client, body, "lost")
    assert waiting.status_code == 409 and waiting.json["error"]["code"] == "idempotency_in_progress"

    _db.session.execute(sa.update(IdempotencyKey).values(created_at=utcnow() - timedelta(minutes=2)))
    _db.session.commit()
    rebuilt = _post(client, body, "lost")
    assert rebuilt.status_code == 201
    assert rebuilt.json["order"]["code"] == first.json["order"]["code"]
    assert rebuilt.json["payment"]["vietqr"] == first.json["payment"]["vietqr"]
    assert _count(Order) == 1 and _count(PaymentAttempt) == 1


def test_concurrent_requests_with_one_key_create_one_order(app, db):
    item = f.product(stock=100)
    body = checkout_body([(item, 1)])
    clients = 6
    barrier = threading.Barrier(clients)

    def send(_i):
        with app.test_client() as client:
            barrier.wait()
            response = _post(client, body, "double-click")
            return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(send, range(clients)))

    assert _count(Order) == 1
    assert stock_of(item) == 99
    codes = {answer["order"]["code"] for status, answer in results if status == 201}
    assert len(codes) == 1, results
    others = [answer["error"]["code"] for status, answer in results if status != 201]
    assert set(others) <= {"idempotency_in_progress"}, results


def _web_checkout_page(client, item):
    client.post("/cart/add", data={"product_id": item.id, "quantity": 1})
    page = client.get("/checkout").get_data(as_text=True)
    return re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]{32})"', page).group(1)


def test_the_web_form_sent_twice_places_one_order(db, web):
    item = f.product(stock=5)
    key = _web_checkout_page(web, item)
    first = web.post("/checkout", data={**WEB_FORM, "idempotency_key": key})
    again = web.post("/checkout", data={**WEB_FORM, "idempotency_key": key})  # double click, or reload
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert "/orders/" in first.headers["Location"]
    assert _count(Order) == 1 and stock_of(item) == 4
    assert web.get(again.headers["Location"]).status_code == 200  # a guest may open it


def test_the_web_form_sent_again_with_other_details_places_nothing_silently(db, web):
    item = f.product(stock=5)
    key = _web_checkout_page(web, item)
    web.post("/checkout", data={**WEB_FORM, "idempotency_key": key})
    web.post("/cart/add", data={"product_id": item.id, "quantity": 1})
    response = web.post("/checkout", data={**WEB_FORM, "line1": "Số 3 phố khác", "idempotency_key": key})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Biểu mẫu này đã được gửi với thông tin khác" in page
    assert key not in page  # a new key to place a second order deliberately
    assert _count(Order) == 1
