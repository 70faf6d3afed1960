"""Payments sit behind one complete gateway interface: every registered provider starts a
payment, handles its provider's events, refunds and looks a refund up, answering with the one
result type; the rest of the payments package never asks which provider it is talking to."""
from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from marketplace.payments.gateway import Gateway, GatewayResult
from marketplace.payments.models import PaymentAttempt, Refund
from marketplace.payments.providers import GATEWAYS, get_gateway

from .helpers import make_order

PAYMENTS = Path(__file__).resolve().parents[2] / "marketplace" / "payments"
METHODS = sorted(GATEWAYS)
OPERATIONS = ("available", "check_amount", "start", "describe", "handle_event", "refund", "find_refund")
CAPABILITIES = ("method", "label", "max_amount_vnd", "offline", "pays_back_by_hand")


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


def _method_name_tests(path: Path) -> list[str]:
    """Comparisons with a payment method's name (`x == "stripe"`, `m in ("vietqr", ...)`)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare):
            for operand in [node.left, *node.comparators]:
                names = operand.elts if isinstance(operand, (ast.Tuple, ast.List, ast.Set)) else [operand]
                if any(isinstance(n, ast.Constant) and n.value in GATEWAYS for n in names):
                    found.append(f"{path.relative_to(PAYMENTS)}:{node.lineno}")
    return found


def test_no_caller_branches_on_the_method_name():
    callers = [p for p in PAYMENTS.rglob("*.py") if "providers" not in p.parts]
    assert [hit for path in callers for hit in _method_name_tests(path)] == []
