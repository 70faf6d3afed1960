"""Bank-transfer notices at the edges: Casso signatures over escaped text, SePay's signed
(HMAC-SHA256) mode, amounts no transfer can carry, and bank times that cannot be true."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.extensions import db as _db
from marketplace.orders.models import Order
from marketplace.payments.models import BankTransfer, LedgerEntry, ProviderEvent
from marketplace.timeutil import to_local, utcnow
from tests import factories

from .helpers import CASSO_KEY, _sorted_recursively, casso_body, make_order, post_sepay, sepay_body

SECRET = "sepay-hmac-secret-for-tests"


def reload(order: Order) -> Order:
    _db.session.expire_all()
    return _db.session.get(Order, order.id)


def bank_time(delta: timedelta = timedelta()) -> str:
    """A bank's local transaction time, `delta` from now."""
    return to_local(utcnow() + delta).strftime("%Y-%m-%d %H:%M:%S")


# ---- Casso: the body signed as Casso's Python and PHP samples serialise it ---------------------

def casso_header(body: dict, *, php: bool, key: str = CASSO_KEY) -> str:
    """Casso's samples: Python's json.dumps escapes non-ASCII as \\uXXXX; PHP's json_encode also `/`."""
    text = json.dumps(_sorted_recursively(body), separators=(",", ":"))
    if php:
        text = text.replace("/", "\\/")
    t_ms = int(time.time() * 1000)
    return f"t={t_ms},v1={hmac.new(key.encode(), f'{t_ms}.{text}'.encode(), hashlib.sha512).hexdigest()}"


@pytest.mark.parametrize("php", [False, True], ids=["python-sample", "php-sample"])
@pytest.mark.parametrize("escaped_body", [False, True], ids=["raw-utf8-body", "escaped-body"])
def test_casso_signature_over_escaped_vietnamese_text_is_accepted(db, client, php, escaped_body):
    order = make_order()
    body = casso_body(order, 130_000, when=bank_time(),
                      description=f"Nguyễn Văn Ân chuyển tiền {order.payment_reference} đơn 1/2")
    raw = json.dumps(body, ensure_ascii=escaped_body).encode()
    response = client.post("/payments/casso/webhook", data=raw, content_type="application/json",
                           headers={"X-Casso-Signature": casso_header(body, php=php)})
    assert response.status_code == 200, response.get_json()
    assert reload(order).status == "paid"


def test_an_escaped_casso_signature_with_the_wrong_key_is_still_refused(db, client):
    order = make_order()
    body = casso_body(order, 130_000, when=bank_time(), description=f"Trả tiền {order.payment_reference}")
    response = client.post("/payments/casso/webhook", data=json.dumps(body).encode(), content_type="application/json",
                           headers={"X-Casso-Signature": casso_header(body, php=True, key="not-the-key")})
    assert response.status_code == 401
    assert reload(order).status == "pending_payment" and _db.session.scalar(sa.select(sa.func.count(ProviderEvent.id))) == 0


# ---- SePay's signed mode -----------------------------------------------------------------------

@pytest.fixture
def signed_sepay(app, monkeypatch):
    monkeypatch.setitem(app.config, "SEPAY_WEBHOOK_AUTH", "hmac")
    monkeypatch.setitem(app.config, "SEPAY_WEBHOOK_SECRET", SECRET)


def post_signed(client, body: dict, *, t: int | None = None, secret: str = SECRET, prefix: str = "sha256=",
                sent: bytes | None = None):
    """SePay's signed mode, written from its documentation: HMAC-SHA256 of "<t>.<raw body>".
    `sent`: a different body than the one signed (a tampered request)."""
    raw = json.dumps(body).encode()
    t = int(time.time()) if t is None else t
    digest = hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
    headers = {"X-SePay-Timestamp": str(t), "X-SePay-Signature": prefix + digest}
    return client.post("/payments/sepay/webhook", data=sent if sent is not None else raw,
                       content_type="application/json", headers=headers)


@pytest.mark.parametrize("prefix", ["sha256=", ""])
def test_a_signed_sepay_notification_pays_the_order(db, client, signed_sepay, prefix):
    order = make_order()
    response = post_signed(client, sepay_body(order, 130_000, when=bank_time()), prefix=prefix)
    assert response.status_code == 200 and response.get_json()["success"] is True
    assert reload(order).status == "paid"


def test_signed_mode_refuses_forgeries_stale_requests_and_the_api_key(db, client, signed_sepay):
    order = make_order()
    body = sepay_body(order, 130_000, when=bank_time())
    tampered = json.dumps(body | {"transferAmount": 1_300_000}).encode()
    refused = [
        post_sepay(client, body),  # Authorization: Apikey is not this deployment's way
        post_signed(client, body, secret="guessed"),
        post_signed(client, body, t=int(time.time()) - 600),  # a replay of an old request
        post_signed(client, body, t=int(time.time()) + 600),
        post_signed(client, body, sent=tampered),
        client.post("/payments/sepay/webhook", data=json.dumps(body), content_type="application/json"),
    ]
    assert [r.status_code for r in refused] == [401] * len(refused)
    assert reload(order).status == "pending_payment" and _db.session.scalar(sa.select(sa.func.count(ProviderEvent.id))) == 0


def test_a_signed_notification_delivered_again_is_acknowledged_once(db, client, signed_sepay):
    order = make_order()
    body = sepay_body(order, 130_000, when=bank_time())
    t = int(time.time())
    outcomes = [post_signed(client, body, t=t).get_json()["outcome"] for _ in range(3)]
    assert outcomes == ["matched", "duplicate", "duplicate"]
    assert _db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 1


def test_signed_mode_without_a_secret_refuses_everything(db, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "SEPAY_WEBHOOK_AUTH", "hmac")
    monkeypatch.setitem(app.config, "SEPAY_WEBHOOK_SECRET", "")
    order = make_order()
    assert post_signed(client, sepay_body(order, 130_000), secret="").status_code == 401


def test_an_unknown_sepay_auth_mode_refuses_to_start(monkeypatch, tmp_path):
    from marketplace.config import Config

    monkeypatch.setenv("SEPAY_WEBHOOK_AUTH", "none")
    with pytest.raises(RuntimeError, match="SEPAY_WEBHOOK_AUTH"):
        Config(str(tmp_path)).check()


# ---- amounts no transfer can carry -------------------------------------------------------------

@pytest.mark.parametrize("provider", ["sepay", "casso"])
def test_an_authentic_notice_of_10_to_the_19_dong_is_kept_for_the_admin_and_acknowledged(db, client, app, provider):
    from .helpers import post_casso

    order = make_order()
    if provider == "sepay":
        response = post_sepay(client, sepay_body(order, 10**19, when=bank_time()))
    else:
        response = post_casso(client, casso_body(order, 10**19, when=bank_time()))
    assert response.status_code == 200 and response.get_json() == {"success": True, "outcome": "amount_out_of_range"}
    transfer = _db.session.execute(sa.select(BankTransfer)).scalar_one()
    assert (transfer.status, transfer.amount_vnd, transfer.order_id) == ("unmatched", 0, None)
    assert str(10**19) in transfer.note
    assert _db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 0
    assert reload(order).status == "pending_payment"

    admin = app.test_client()
    factories.login_as(admin, factories.user("admin"))
    assert str(10**19) in admin.get("/admin/payments/reconciliation").get_data(as_text=True)
    refused = admin.post(f"/api/v1/payments/transfers/{transfer.id}/assign", json={"order_code": order.code})
    assert refused.status_code == 409 and reload(order).status == "pending_payment"
    settled = admin.post(f"/api/v1/payments/transfers/{transfer.id}/refunded", json={"note": "bank error"})
    assert settled.status_code == 200 and settled.get_json()["status"] == "refunded_outside"
    assert _db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 0


# ---- bank times that cannot be true ------------------------------------------------------------

def test_a_transfer_dated_more_than_10_minutes_ahead_is_held_for_the_admin(db, client, app):
    order = make_order()
    response = post_sepay(client, sepay_body(order, 130_000, when=bank_time(timedelta(minutes=11))))
    assert response.status_code == 200 and response.get_json()["outcome"] == "held_future_time"
    assert reload(order).status == "pending_payment"
    transfer = _db.session.execute(sa.select(BankTransfer)).scalar_one()
    assert (transfer.status, transfer.order_id) == ("unmatched", order.id) and "future" in transfer.note

    admin = app.test_client()
    factories.login_as(admin, factories.user("admin"))
    assigned = admin.post(f"/api/v1/payments/transfers/{transfer.id}/assign", json={"order_code": order.code})
    assert assigned.status_code == 200 and reload(order).status == "paid"


def test_a_bank_clock_a_few_minutes_ahead_still_pays(db, client):
    order = make_order()
    response = post_sepay(client, sepay_body(order, 130_000, when=bank_time(timedelta(minutes=8))))
    assert response.get_json()["outcome"] == "matched" and reload(order).status == "paid"


@pytest.mark.parametrize("provider", ["sepay", "casso"])
def test_a_transfer_dated_before_its_order_existed_is_held_for_the_admin(db, client, app, provider):
    from .helpers import post_casso

    order = make_order(created_at=utcnow())
    when = bank_time(-timedelta(minutes=11))
    if provider == "sepay":
        response = post_sepay(client, sepay_body(order, 130_000, when=when))
    else:
        response = post_casso(client, casso_body(order, 130_000, when=when))
    assert response.status_code == 200 and response.get_json()["outcome"] == "held_before_order"
    assert reload(order).status == "pending_payment"
    transfer = _db.session.execute(sa.select(BankTransfer)).scalar_one()
    assert (transfer.status, transfer.order_id) == ("unmatched", order.id)
    assert "before order" in transfer.note and order.code in transfer.note
    entry = _db.session.execute(sa.select(LedgerEntry)).scalar_one()
    assert (entry.order_id, entry.amount_vnd) == (None, 130_000)

    admin = app.test_client()
    factories.login_as(admin, factories.user("admin"))
    queue = admin.get("/admin/payments/reconciliation").get_data(as_text=True)
    assert "before order" in queue and order.code in queue
    assigned = admin.post(f"/api/v1/payments/transfers/{transfer.id}/assign", json={"order_code": order.code})
    assert assigned.status_code == 200 and reload(order).status == "paid"


def test_a_bank_clock_a_few_minutes_behind_the_order_still_pays(db, client):
    order = make_order(created_at=utcnow())
    response = post_sepay(client, sepay_body(order, 130_000, when=bank_time(-timedelta(minutes=8))))
    assert response.get_json()["outcome"] == "matched" and reload(order).status == "paid"
