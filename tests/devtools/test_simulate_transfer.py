"""`flask payments simulate-transfer CODE [--amount N]` and the payment page's button: a
SePay notification sent through the real webhook, so the order is paid as in production."""
from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa
from flask import request_started

from marketplace.orders.models import Order
from marketplace.payments.models import BankTransfer, LedgerEntry, ProviderEvent
from marketplace.payments.services import access_token
from tests.payments.helpers import SEPAY_KEY, make_order


def simulate(app, *args):
    return app.test_cli_runner().invoke(args=["payments", "simulate-transfer", *args])


def fresh(db, code: str) -> Order:
    db.session.rollback()
    return db.session.scalar(sa.select(Order).where(Order.code == code))


def transfers(db) -> list[tuple[int, str]]:
    return [(t.amount_vnd, t.status) for t in db.session.scalars(sa.select(BankTransfer).order_by(BankTransfer.id))]


@pytest.fixture
def webhook_calls(app):
    """Every request the app serves meanwhile: (method, path, Authorization header)."""
    calls = []

    def record(sender, **_extra):
        from flask import request

        calls.append((request.method, request.path, request.headers.get("Authorization")))

    request_started.connect(record, app)
    yield calls
    request_started.disconnect(record, app)


def test_the_command_pays_the_order_through_the_sepay_webhook_with_the_configured_key(app, db, webhook_calls):
    order = make_order(prices=(100_000,), shipping_vnd=30_000)

    result = simulate(app, order.code)

    assert result.exit_code == 0, result.output
    assert webhook_calls == [("POST", "/payments/sepay/webhook", f"Apikey {SEPAY_KEY}")]
    paid = fresh(db, order.code)
    assert (paid.status, paid.payment_status) == ("paid", "paid")
    assert transfers(db) == [(130_000, "matched")]
    [event] = db.session.scalars(sa.select(ProviderEvent)).all()
    assert (event.provider, event.order_id, event.outcome) == ("sepay", order.id, "matched")
    assert [(e.kind, e.amount_vnd) for e in db.session.scalars(sa.select(LedgerEntry))] == [("payment", 130_000)]
    assert f"Chuyển khoản giả lập 130.000 ₫ cho đơn hàng {order.code}: đơn hàng đã được thanh toán." in result.output


def test_a_partial_amount_leaves_the_order_waiting_and_the_next_transfer_pays_the_rest(app, db):
    order = make_order(prices=(100_000,), shipping_vnd=30_000)

    first = simulate(app, order.code, "--amount", "50000")

    assert first.exit_code == 0, first.output
    assert "ít hơn tổng tiền" in first.output
    assert fresh(db, order.code).status == "pending_payment"
    assert transfers(db) == [(50_000, "partial")]

    rest = simulate(app, order.code)  # by default, what is left to pay

    assert rest.exit_code == 0, rest.output
    assert "80.000 ₫" in rest.output
    assert fresh(db, order.code).status == "paid"
    assert transfers(db) == [(50_000, "matched"), (80_000, "matched")]


@pytest.mark.parametrize("amount", ["0", "-5", "12.5", "abc"])
def test_an_amount_that_is_not_a_positive_whole_number_of_dong_is_refused(app, db, amount, webhook_calls):
    order = make_order()
    result = simulate(app, order.code, "--amount", amount)
    assert result.exit_code == 2
    assert webhook_calls == [] and transfers(db) == []


def test_an_unknown_order_is_refused_with_a_clear_message(app, db, webhook_calls):
    result = simulate(app, "QN-NOPE")
    assert result.exit_code == 1
    assert "Không có đơn hàng QN-NOPE." in result.output
    assert webhook_calls == []


def test_without_a_configured_key_the_installation_gets_its_own_kept_in_the_instance_folder(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "SEPAY_API_KEY", "")
    order = make_order()

    result = simulate(app, order.code)

    assert result.exit_code == 0, result.output
    assert fresh(db, order.code).status == "paid"
    key_file = os.path.join(app.instance_path, "dev-sepay-api-key")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    key = open(key_file, encoding="utf-8").read()
    assert len(key) >= 32 and app.config["SEPAY_API_KEY"] == key
    # The webhook now checks that key: a notification without it changes nothing.
    from tests.payments.helpers import post_sepay, sepay_body

    other = make_order()
    assert post_sepay(app.test_client(), sepay_body(other, other.total_vnd, txn_id=5), key=SEPAY_KEY).status_code == 401
    # Another process of the same installation (the dev server) reads the same key.
    monkeypatch.setitem(app.config, "SEPAY_API_KEY", "")
    from marketplace.devtools.instance_files import ensure_sepay_key

    assert ensure_sepay_key(app) == key


def test_in_production_the_command_refuses_and_nothing_is_sent(app, db, as_production, webhook_calls):
    order = make_order()

    result = simulate(app, order.code)

    assert result.exit_code == 1
    assert "chỉ có khi phát triển" in result.output
    assert webhook_calls == []
    assert fresh(db, order.code).status == "pending_payment"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProviderEvent)) == 0


# --- the payment page's button ---------------------------------------------------------------

def payment_page(order) -> str:
    return f"/payments/orders/{order.code}?t={access_token(order)}"


def test_the_payment_page_offers_the_button_in_development_and_it_pays_the_order(app, db, web):
    order = make_order(prices=(250_000,), shipping_vnd=30_000)
    page = web.get(payment_page(order)).get_data(as_text=True)
    assert "Giả lập chuyển khoản ngân hàng" in page
    action = f"/dev/payments/orders/{order.code}/simulate-transfer?t={access_token(order)}"
    assert f'action="{action}"' in page

    response = web.post(action)

    assert response.status_code == 303
    assert response.headers["Location"].endswith(payment_page(order))
    assert fresh(db, order.code).status == "paid"
    assert transfers(db) == [(280_000, "matched")]
    after = web.get(payment_page(order)).get_data(as_text=True)
    assert "đơn hàng đã được thanh toán" in after  # the flash message
    assert "Giả lập chuyển khoản ngân hàng" not in after  # nothing left to pay


def test_the_button_needs_the_right_to_see_the_order(app, db, web):
    order = make_order()
    assert web.post(f"/dev/payments/orders/{order.code}/simulate-transfer").status_code == 404
    assert web.post(f"/dev/payments/orders/{order.code}/simulate-transfer?t=forged").status_code == 404
    assert web.post("/dev/payments/orders/QN-NOPE/simulate-transfer").status_code == 404
    assert fresh(db, order.code).status == "pending_payment"


def test_a_card_order_has_no_button(app, db, web):
    order = make_order(method="stripe")
    assert "Giả lập chuyển khoản" not in web.get(payment_page(order)).get_data(as_text=True)


def test_in_production_there_is_no_button_and_the_route_is_404(app, db, web, as_production):
    order = make_order()
    page = web.get(payment_page(order))
    assert page.status_code == 200 and order.payment_reference in page.get_data(as_text=True)
    assert "Giả lập chuyển khoản" not in page.get_data(as_text=True)
    assert "simulate-transfer" not in page.get_data(as_text=True)

    response = web.post(f"/dev/payments/orders/{order.code}/simulate-transfer?t={access_token(order)}")

    assert response.status_code == 404
    assert fresh(db, order.code).status == "pending_payment"
    assert transfers(db) == []
