"""Stripe card payments against localstripe: Checkout, webhooks, refunds.

Webhook signatures are made with Stripe's documented scheme (helpers.stripe_signature_header)."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
import stripe
from flask_babel import refresh as refresh_locale

from marketplace.catalog.models import Product
from tests import factories
from marketplace.checkout.schemas import CheckoutResultSchema
from marketplace.errors import ValidationFailed
from marketplace.extensions import db as _db
from marketplace.orders.models import Order, OrderEvent
from marketplace.orders.status import apply_order_transition, apply_part_transition
from marketplace.payments import refunds, services
from marketplace.payments.providers.stripe import stripe_client
from marketplace.payments.models import LedgerEntry, PaymentAttempt, ProviderEvent, Refund

from .helpers import make_order, paid_intent, post_stripe_event, session_event, stripe_event, stripe_signature_header


def count(model, *where) -> int:
    return _db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def reload(order: Order) -> Order:
    _db.session.expire_all()
    return _db.session.get(Order, order.id)


def started(order: Order) -> tuple[dict, PaymentAttempt]:
    payment = services.start_payment(order)
    _db.session.commit()
    attempt = _db.session.execute(sa.select(PaymentAttempt).where(PaymentAttempt.order_id == order.id)
                                  .order_by(PaymentAttempt.id.desc())).scalars().first()
    return payment, attempt


def paid_card_order(client, prices=(100_000,)):
    order = make_order(method="stripe", prices=prices)
    _payment, attempt = started(order)
    intent = paid_intent(order.total_vnd, order.code)
    assert post_stripe_event(client, session_event("checkout.session.completed", order, attempt,
                                                   intent=intent)).status_code == 200
    return reload(order), attempt, intent


# ---- Checkout ----------------------------------------------------------------------------------

def test_checkout_session_in_vnd_with_the_order_code_and_an_idempotency_key(db, stripe_env):
    order = make_order(method="stripe", prices=(250_000, 99_000))  # 349.000 + 60.000 shipping
    payment, attempt = started(order)

    assert payment["method"] == "stripe" and payment["status"] == "unpaid" and payment["amount_vnd"] == 409_000
    assert payment["checkout_url"].startswith("https://checkout.stripe.com/")
    (call,) = stripe_env.sessions_created()
    params = call["params"]
    assert params["line_items[0][price_data][currency]"] == "vnd"
    assert params["line_items[0][price_data][unit_amount]"] == "409000"  # zero-decimal: dong, not cents
    assert params["metadata[order_code]"] == order.code
    assert params["payment_intent_data[metadata][order_code]"] == order.code
    # Stripe's page speaks the shopper's language: Vietnamese unless the request asks for English.
    assert params["line_items[0][price_data][product_data][name]"] == f"OCOP Quảng Ninh – đơn hàng {order.code}"
    assert params["locale"] == "vi"
    assert params["success_url"].startswith("http") and "session_id={CHECKOUT_SESSION_ID}" in params["success_url"]
    assert call["headers"]["Idempotency-Key"] == f"checkout-{order.code}-{attempt.id}"
    assert attempt.provider_ref == payment["checkout_url"].rsplit("/", 1)[1]
    assert f"/payments/orders/{order.code}?t=" in payment["page_url"]


def test_a_shopper_reading_english_pays_on_an_english_stripe_page(db, app, stripe_env):
    order = make_order(method="stripe")
    with app.test_request_context("/?lang=en"):
        refresh_locale()  # the `db` fixture's app context settled on Vietnamese while placing the order
        started(order)
    (call,) = stripe_env.sessions_created()
    assert call["params"]["line_items[0][price_data][product_data][name]"] == f"OCOP Quảng Ninh – order {order.code}"
    assert call["params"]["locale"] == "en"


def test_a_guest_returning_from_stripe_sees_the_order_waiting_for_confirmation(db, client, stripe_env):
    order = make_order(method="stripe")
    started(order)
    success_url = stripe_env.sessions_created()[0]["params"]["success_url"].replace("{CHECKOUT_SESSION_ID}", "cs_x")
    page = client.get(success_url.split("://localhost", 1)[1])
    assert page.status_code == 200
    assert "Chúng tôi đang chờ tổ chức thẻ xác nhận thanh toán" in page.get_data(as_text=True)
    cancel_url = stripe_env.sessions_created()[0]["params"]["cancel_url"]
    assert client.get(cancel_url.split("://localhost", 1)[1]).status_code == 200
    assert client.get(f"/payments/stripe/success?order={order.code}").status_code == 404  # no token, no page


def test_starting_again_while_a_session_is_open_reuses_it(db, stripe_env):
    order = make_order(method="stripe")
    first, _ = started(order)
    second, _ = started(order)
    assert first["checkout_url"] == second["checkout_url"]
    assert len(stripe_env.sessions_created()) == 1


def test_no_payment_starts_once_the_window_has_closed(db, stripe_env):
    from datetime import timedelta

    from marketplace.errors import Conflict

    order = make_order(method="stripe", due_in=timedelta(minutes=-1))
    with pytest.raises(Conflict):
        services.start_payment(order)
    assert stripe_env.sessions_created() == []


def test_when_stripe_cannot_be_reached_the_order_waits_and_the_shopper_can_retry(db, app, stripe_env):
    order = make_order(method="stripe")
    app.config["STRIPE_HTTP_CLIENT"] = stripe.RequestsClient()  # straight to STRIPE_API_BASE …
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # … where nothing listens
    payment = services.start_payment(order)
    assert payment["status"] == "unpaid" and "checkout_url" not in payment
    assert payment["error"]["code"] == "payment_provider_error" and payment["error"]["message"]
    assert f"/payments/orders/{order.code}?t=" in payment["page_url"]
    assert reload(order).status == "pending_payment"
    app.config["STRIPE_HTTP_CLIENT"] = stripe_env  # reachable again: a new Checkout opens
    assert services.start_payment(order)["checkout_url"].startswith("https://checkout.stripe.com/")


def test_a_card_checkout_answers_exactly_its_documented_shape_even_when_stripe_is_down(db, app, client,
                                                                                      stripe_env):
    f = factories

    item = f.product(price_vnd=150_000, stock=5)
    body = {"contact": {"full_name": "Jane Doe", "phone": "0912345678", "email": "jane@example.com"},
            "shipping_address": {"line1": "1 Bến Đoan", "ward": "Phường Hồng Gai", "province": "Quảng Ninh"},
            "payment_method": "stripe", "items": [{"product_id": item.id, "quantity": 1}]}
    opened = client.post("/api/v1/checkout", json=body)
    app.config["STRIPE_HTTP_CLIENT"] = stripe.RequestsClient()
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # nothing listens: the order waits
    waiting = client.post("/api/v1/checkout", json=body)

    assert opened.status_code == waiting.status_code == 201
    assert opened.json["payment"]["checkout_url"].startswith("https://checkout.stripe.com/")
    assert waiting.json["payment"]["error"]["code"] == "payment_provider_error"
    for response in (opened, waiting):
        assert CheckoutResultSchema().dump(response.json) == response.json


def test_card_payment_is_refused_at_checkout_when_stripe_is_not_configured(db, app, stripe_env):
    app.config["STRIPE_SECRET_KEY"] = ""
    with pytest.raises(ValidationFailed) as info:
        services.check_payable("stripe", 100_000)
    assert info.value.code == "payment_method_unavailable" and "payment_method" in info.value.fields
    services.check_payable("vietqr", 100_000)


def test_orders_above_stripes_limit_are_refused_for_card_with_a_clear_message(db, stripe_env):
    with pytest.raises(ValidationFailed) as info:  # 100.049.990 with shipping, refused at checkout
        make_order(method="stripe", prices=(50_000_000, 49_999_990))
    assert info.value.code == "amount_too_large_for_method"
    assert "99.999.999" in info.value.message
    assert stripe_env.sessions_created() == []
    order = make_order(method="vietqr", prices=(50_000_000, 49_999_990))  # a bank transfer can carry it
    services.check_payable("vietqr", order.total_vnd)
    with pytest.raises(ValidationFailed):
        services.check_payable("stripe", 100_000_000)
    services.check_payable("stripe", 99_999_999)


# ---- webhooks ----------------------------------------------------------------------------------

def test_completion_pays_the_order_at_the_events_time(db, client, stripe_env):
    order = make_order(method="stripe")
    _payment, attempt = started(order)
    intent = paid_intent(order.total_vnd, order.code)
    created = int(datetime(2025, 3, 31, 17, 30, tzinfo=timezone.utc).timestamp())

    response = post_stripe_event(client, session_event("checkout.session.completed", order, attempt, intent=intent,
                                                       created=created))

    assert response.status_code == 200
    order = reload(order)
    assert order.status == "paid" and order.payment_status == "paid"
    assert order.paid_at == datetime(2025, 3, 31, 17, 30, tzinfo=timezone.utc)
    entry = _db.session.execute(sa.select(LedgerEntry)).scalar_one()
    assert (entry.kind, entry.method, entry.amount_vnd, entry.provider_ref) == ("payment", "stripe", 130_000, intent)
    assert _db.session.get(PaymentAttempt, attempt.id).status == "succeeded"


def test_the_same_stripe_event_20_times_pays_once_with_one_ledger_entry(db, client, stripe_env):
    order = make_order(method="stripe")
    _payment, attempt = started(order)
    event = session_event("checkout.session.completed", order, attempt, intent=paid_intent(130_000, order.code))
    replies = [post_stripe_event(client, event) for _ in range(20)]
    assert all(r.status_code == 200 for r in replies)
    assert reload(order).status == "paid"
    assert count(LedgerEntry) == 1 and count(ProviderEvent) == 1
    assert count(OrderEvent, OrderEvent.order_id == order.id, OrderEvent.to_status == "paid") == 1


def test_bad_stale_or_forged_stripe_signatures_are_refused_and_change_nothing(db, client, stripe_env):
    order = make_order(method="stripe")
    _payment, attempt = started(order)
    event = session_event("checkout.session.completed", order, attempt, intent="pi_fake")
    payload = json.dumps(event)
    forged = json.dumps(session_event("checkout.session.completed", order, attempt, intent="pi_fake", amount=1))
    for body, header in [
        (payload, stripe_signature_header(payload, secret="whsec_wrong")),
        (payload, stripe_signature_header(payload, t=int(time.time()) - 3600)),  # outside Stripe's tolerance
        (forged, stripe_signature_header(payload)),
        (payload, ""),
        ("not json", stripe_signature_header("not json")),
    ]:
        response = client.post("/payments/stripe/webhook", data=body, content_type="application/json",
                               headers={"Stripe-Signature": header})
        assert response.status_code == 400
    assert reload(order).status == "pending_payment"
    assert count(ProviderEvent) == 0 and count(LedgerEntry) == 0


@pytest.mark.parametrize("amount, currency", [(129_999, "vnd"), (130_000, "usd")])
def test_a_session_whose_amount_or_currency_differs_does_not_pay(db, client, stripe_env, amount, currency):
    order = make_order(method="stripe")
    _payment, attempt = started(order)
    response = post_stripe_event(client, session_event("checkout.session.completed", order, attempt,
                                                       intent="pi_mismatch", amount=amount, currency=currency))
    assert response.status_code == 200
    assert reload(order).status == "pending_payment"
    assert count(LedgerEntry) == 0
    assert _db.session.execute(sa.select(ProviderEvent.outcome)).scalar_one() == "amount_mismatch"


def test_completion_after_the_order_expired_refunds_the_card(db, client, stripe_env):
    order = make_order(method="stripe")
    _payment, attempt = started(order)
    intent = paid_intent(order.total_vnd, order.code)
    apply_order_transition(order, "expired", None, "payment window closed")
    _db.session.commit()

    response = post_stripe_event(client, session_event("checkout.session.completed", order, attempt, intent=intent))

    assert response.status_code == 200
    order = reload(order)
    assert order.status == "expired" and order.paid_at is None
    refunds = stripe_client().v1.refunds.list(params={"payment_intent": intent}).data
    assert [r.amount for r in refunds] == [order.total_vnd]
    entries = _db.session.execute(sa.select(LedgerEntry.kind, LedgerEntry.amount_vnd, LedgerEntry.order_id)
                                  .order_by(LedgerEntry.id)).all()
    assert entries == [("payment", 130_000, None), ("refund", 130_000, None)]
    # Delivered again: nothing more is refunded.
    assert post_stripe_event(client, session_event("checkout.session.completed", order, attempt, intent=intent)
                             ).status_code == 200
    assert len(stripe_client().v1.refunds.list(params={"payment_intent": intent}).data) == 1


def test_an_expired_session_expires_the_order_and_releases_stock(db, client, stripe_env):
    order = make_order(method="stripe", quantity=3, stock=10)
    product_id = order.parts[0].lines[0].product_id
    assert _db.session.get(Product, product_id).stock == 7  # reserved at checkout
    _payment, attempt = started(order)

    event = session_event("checkout.session.expired", order, attempt, intent=None)
    for _ in range(3):
        assert post_stripe_event(client, event).status_code == 200

    order = reload(order)
    assert order.status == "expired"
    assert _db.session.get(Product, product_id).stock == 10
    assert _db.session.get(PaymentAttempt, attempt.id).status == "expired"


def test_an_expiry_arriving_after_completion_changes_nothing(db, client, stripe_env):
    order, attempt, _intent = paid_card_order(client)
    assert post_stripe_event(client, session_event("checkout.session.expired", order, attempt, intent=None)
                             ).status_code == 200
    assert reload(order).status == "paid"


def test_async_payment_succeeds_after_completion_without_payment(db, client, stripe_env):
    order = make_order(method="stripe")
    _payment, attempt = started(order)
    intent = paid_intent(order.total_vnd, order.code)
    post_stripe_event(client, session_event("checkout.session.completed", order, attempt, intent=intent,
                                            payment_status="unpaid"))
    assert reload(order).status == "pending_payment"
    post_stripe_event(client, session_event("checkout.session.async_payment_succeeded", order, attempt, intent=intent))
    assert reload(order).status == "paid"
    assert count(LedgerEntry) == 1


def test_events_out_of_order_still_pay_once(db, client, stripe_env):
    order = make_order(method="stripe")
    _payment, attempt = started(order)
    intent = paid_intent(order.total_vnd, order.code)
    post_stripe_event(client, session_event("checkout.session.async_payment_succeeded", order, attempt, intent=intent))
    post_stripe_event(client, session_event("checkout.session.completed", order, attempt, intent=intent))
    assert reload(order).status == "paid"
    assert count(LedgerEntry) == 1
    assert count(OrderEvent, OrderEvent.order_id == order.id, OrderEvent.to_status == "paid") == 1


def test_a_failed_async_payment_leaves_the_order_unpaid(db, client, stripe_env):
    order = make_order(method="stripe")
    _payment, attempt = started(order)
    post_stripe_event(client, session_event("checkout.session.async_payment_failed", order, attempt, intent=None,
                                            payment_status="unpaid"))
    assert reload(order).status == "pending_payment"
    assert _db.session.get(PaymentAttempt, attempt.id).status == "failed"
    # The shopper can open a new Checkout.
    payment, new_attempt = started(order)
    assert new_attempt.id != attempt.id and payment["checkout_url"]


def test_unknown_event_types_are_acknowledged(db, client, stripe_env):
    response = post_stripe_event(client, stripe_event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200 and response.get_json()["outcome"] == "ignored"


# ---- refunds -----------------------------------------------------------------------------------

def test_cancelling_a_paid_card_part_refunds_it_through_stripe_once(db, client, stripe_env, app):
    order, _attempt, intent = paid_card_order(client, prices=(100_000, 200_000))  # parts 130.000 and 230.000
    part = order.parts[1]
    admin = __import__("tests.factories", fromlist=["user"]).user(role="admin")
    apply_part_transition(part, "cancelled", admin, "out of stock")

    refund = refunds.refund_part(part, admin, "out of stock")
    _db.session.commit()
    again = refunds.refund_part(part, admin, "out of stock")

    assert again.id == refund.id
    assert refund.status == "succeeded" and refund.amount_vnd == 230_000 and refund.method == "stripe"
    assert refund.refunded_at is not None and refund.provider_ref.startswith("re_")
    stripe_refunds = stripe_client().v1.refunds.list(params={"payment_intent": intent}).data
    assert [(r.id, r.amount) for r in stripe_refunds] == [(refund.provider_ref, 230_000)]
    refund_calls = [c for c in stripe_env.calls if c["path"] == "/v1/refunds" and c["method"] == "post"]
    assert [c["headers"]["Idempotency-Key"] for c in refund_calls] == [f"refund-part-{part.id}"]
    order = reload(order)
    assert order.payment_status == "partially_refunded"
    assert _db.session.get(type(part), part.id).status == "refunded"
    entries = _db.session.execute(sa.select(LedgerEntry.kind, LedgerEntry.amount_vnd)
                                  .where(LedgerEntry.order_id == order.id).order_by(LedgerEntry.id)).all()
    assert entries == [("payment", 360_000), ("refund", 230_000)]


def test_charge_refunded_books_a_refund_made_in_the_stripe_dashboard_once(db, client, stripe_env):
    order, _attempt, intent = paid_card_order(client)
    dashboard = stripe_client().v1.refunds.create(params={"payment_intent": intent, "amount": 30_000})
    charge = {"id": "ch_x", "object": "charge", "payment_intent": intent, "amount": 130_000,
              "amount_refunded": 30_000, "currency": "vnd", "refunded": False}
    for event_id in ("evt_refund_1", "evt_refund_1", "evt_refund_2"):  # a replay and a later summary event
        assert post_stripe_event(client, stripe_event("charge.refunded", charge, event_id=event_id)).status_code == 200
    refund = _db.session.execute(sa.select(Refund)).scalar_one()
    assert (refund.provider_ref, refund.amount_vnd, refund.status, refund.part_id) == (dashboard.id, 30_000,
                                                                                      "succeeded", None)
    assert refund.refunded_at == datetime.fromtimestamp(dashboard.created, timezone.utc)
    assert count(LedgerEntry, LedgerEntry.kind == "refund") == 1
    assert reload(order).payment_status == "partially_refunded"


def test_charge_refunded_does_not_double_book_the_marketplaces_own_refund(db, client, stripe_env):
    order, _attempt, intent = paid_card_order(client)
    part = order.parts[0]
    apply_part_transition(part, "cancelled", None, "test")
    refunds.refund_part(part, None, "test")
    _db.session.commit()
    charge = {"id": "ch_y", "object": "charge", "payment_intent": intent, "amount_refunded": 130_000}
    post_stripe_event(client, stripe_event("charge.refunded", charge))
    assert count(Refund) == 1 and count(LedgerEntry, LedgerEntry.kind == "refund") == 1
    assert reload(order).payment_status == "refunded"
