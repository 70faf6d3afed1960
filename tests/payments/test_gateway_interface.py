"""Payments sit behind one complete gateway interface: every registered provider starts a
payment, handles its provider's events, refunds and looks a refund up, answering with the one
result type; the rest of the payments package never asks which provider it is talking to."""
from __future__ import annotations

import inspect
from datetime import timedelta

import pytest

from marketplace.payments.gateway import (Gateway, GatewayResult, cashless_methods, default_method, method_title,
                                         methods, paid_by_transfer_notice, payment_window)
from marketplace.payments.models import PaymentAttempt, Refund
from marketplace.payments.providers import GATEWAYS, get_gateway

from .helpers import make_order

METHODS = sorted(GATEWAYS)
OPERATIONS = ("available", "check_amount", "start", "describe", "handle_event", "refund", "find_refund")
CAPABILITIES = ("method", "label", "title", "choice_label", "invoice_payment_method", "payment_window_setting",
                "max_amount_vnd", "offline", "pays_back_by_hand", "cashless", "paid_by_transfer_notice")


@pytest.mark.parametrize("method", METHODS)
def test_every_gateway_offers_the_whole_interface(method):
    gateway = get_gateway(method)
    assert gateway.method == method
    for name in CAPABILITIES:
        assert hasattr(gateway, name), f"{method} lacks {name}"
    for name in OPERATIONS:
        ours = inspect.signature(getattr(gateway, name))
        protocol = inspect.signature(getattr(Gateway, name))
        assert list(ours.parameters) == list(protocol.parameters)[1:], f"{method}.{name}{ours} is not {protocol}"


def test_bank_transfer_is_a_provider_like_the_others(app, db):
    """Starting, refunding and looking a refund up answer GatewayResults, as Stripe's do: the
    admin who pays a transfer back by hand is this provider's way of refunding."""
    order = make_order(method="vietqr")
    gateway = get_gateway(order.payment_method)
    attempt = PaymentAttempt(order=order, method=gateway.method, status="pending", amount_vnd=order.total_vnd)
    started = gateway.start(order, attempt)
    assert isinstance(started, GatewayResult) and started.status == "pending"
    assert started.provider_ref == attempt.provider_ref and attempt.expires_at == order.payment_due_at
    refund = Refund(order=order, amount_vnd=10_000, method=gateway.method, status="due", reason="")
    made = gateway.refund(refund, None, key="k")
    assert (made.status, made.amount_vnd, made.provider_ref) == ("pending", 10_000, None)
    assert gateway.find_refund(refund, None).status == "pending"
    refund.status = "succeeded"
    assert gateway.find_refund(refund, None).succeeded
    assert gateway.pays_back_by_hand and not get_gateway("stripe").pays_back_by_hand


def test_what_other_packages_show_of_a_method_comes_from_its_gateway(app):
    """The order page's name, the e-invoice's payment-method text and the payment window are the
    gateway's (tests/test_architecture.py keeps the method names out of every other package)."""
    with app.test_request_context("/?lang=en"):
        assert method_title("vietqr") == "Bank transfer (VietQR)" and method_title("stripe") == "Card (Stripe)"
        assert method_title("cash") == "cash"  # an old row's method no gateway knows: shown as stored
    with app.test_request_context("/"):
        assert method_title("vietqr") == "Chuyển khoản ngân hàng (VietQR)" and method_title("stripe") == "Thẻ (Stripe)"
    assert (get_gateway("vietqr").invoice_payment_method, get_gateway("stripe").invoice_payment_method) == ("CK", "Thẻ")
    saved = {key: app.config[key] for key in ("PAYMENT_WINDOW_VIETQR_MIN", "PAYMENT_WINDOW_STRIPE_MIN")}
    try:
        app.config.update(PAYMENT_WINDOW_VIETQR_MIN=90, PAYMENT_WINDOW_STRIPE_MIN=15)
        with app.app_context():
            assert (payment_window("vietqr"), payment_window("stripe")) == (timedelta(minutes=90), timedelta(minutes=15))
    finally:
        app.config.update(saved)


def test_the_lists_of_methods_other_packages_use_come_from_the_registry(app):
    """Checkout's choices and default, the statistics' cashless methods and the development
    tools' simulated transfer ask the registry, so a new provider module changes them all."""
    assert methods() == ["vietqr", "stripe"] and default_method() == "vietqr"  # the checkout page's order
    assert sorted(cashless_methods()) == ["stripe", "vietqr"]
    assert paid_by_transfer_notice("vietqr") and not paid_by_transfer_notice("stripe")
    assert not paid_by_transfer_notice("cash")  # an old row's method no gateway knows
    with app.test_request_context("/?lang=en"):
        assert [str(get_gateway(m).choice_label) for m in methods()] == [
            "Bank transfer (VietQR)", "International or domestic card (Stripe)"]
    with app.test_request_context("/"):
        assert str(get_gateway("stripe").choice_label) == "Thẻ quốc tế hoặc nội địa (Stripe)"
