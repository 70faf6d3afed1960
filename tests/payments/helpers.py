"""Payments test helpers: orders from the checkout, provider credentials, signed notifications."""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from datetime import datetime, timedelta, timezone


from marketplace.extensions import db as _db
from marketplace.orders.models import Order
from marketplace.timeutil import to_local, utcnow
from tests import factories
from tests.stripe_stub import CheckoutTransport  # noqa: F401  (re-exported for the payments tests)

SEPAY_KEY = "sepay-test-key-123"
CASSO_KEY = "casso-checksum-key-456"
STRIPE_WHSEC = "whsec_test_secret"
ACCOUNT_NO = "0011004123456"

# Orders made here exist from before the fixed bank times the tests send (2025-03-01 in Vietnam):
# a transfer dated before its order existed is held for the admin, never applied.
OPENED_AT = datetime(2025, 2, 28, 12, 0, tzinfo=timezone.utc)


NEVER_FREE = 10**15


def make_order(*, method: str = "vietqr", prices=(100_000,), quantity: int = 1, shipping_vnd: int = 30_000,
               user=None, due_in=timedelta(hours=24), stock: int = 10, reference: str | None = None,
               created_at: datetime = OPENED_AT) -> Order:
    """An order waiting for payment, placed through the real checkout: one product per price, each
    from its own producer whose shipping fee is `shipping_vnd`; then dated `created_at`, due
    `due_in` from now, and (when given) quoting the payment `reference`."""
    items = []
    for price in prices:
        # A flat fee however large the order (no free-shipping threshold), so totals are exact.
        producer = factories.producer(shipping_fee_vnd=shipping_vnd, free_shipping_threshold_vnd=NEVER_FREE)
        items.append((factories.product(price_vnd=price, stock=stock, prod=producer), quantity))
    order = factories.backdate(factories.place_order(items, method, user, unique_email=True), created_at)
    order.payment_due_at = utcnow() + due_in
    if reference is not None:
        order.payment_reference = reference
    _db.session.commit()
    return order


def bank_now() -> str:
    """The bank's local transaction time for a transfer made just now."""
    return to_local(utcnow()).strftime("%Y-%m-%d %H:%M:%S")


def sepay_body(order_or_ref, amount: int, txn_id: int = 92704, *, transfer_type: str = "in",
               account: str = ACCOUNT_NO, when: str = "2025-03-01 09:15:00", content: str | None = None) -> dict:
    reference = getattr(order_or_ref, "payment_reference", order_or_ref)
    text = content if content is not None else f"{reference} chuyen tien mua hang"
    return {"id": txn_id, "gateway": "Vietcombank", "transactionDate": when, "accountNumber": account,
            "code": None, "content": text, "transferType": transfer_type, "transferAmount": amount,
            "accumulated": 19077000, "subAccount": None, "referenceCode": f"MBVCB.{txn_id}",
            "description": f"BankAPINotify {text}"}


def post_sepay(client, body: dict, key: str = SEPAY_KEY):
    headers = {"Authorization": f"Apikey {key}"} if key is not None else {}
    return client.post("/payments/sepay/webhook", data=json.dumps(body), headers=headers,
                       content_type="application/json")


def _sorted_recursively(value):
    """Written independently of the code under test: rebuild every dict with its keys in order."""
    if isinstance(value, dict):
        return {k: _sorted_recursively(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_recursively(v) for v in value]
    return value


def casso_signature_header(body: dict, key: str = CASSO_KEY, t_ms: int | None = None) -> str:
    t_ms = int(time.time() * 1000) if t_ms is None else t_ms
    canonical = json.dumps(_sorted_recursively(body), separators=(",", ":"), ensure_ascii=False)
    digest = hmac.new(key.encode(), f"{t_ms}.{canonical}".encode(), hashlib.sha512).hexdigest()
    return f"t={t_ms},v1={digest}"


def casso_body(order_or_ref, amount: int, txn_id: int = 4711, *, when: str = "2025-03-01 09:15:00",
               account: str = ACCOUNT_NO, description: str | None = None) -> dict:
    reference = getattr(order_or_ref, "payment_reference", order_or_ref)
    return {"error": 0, "data": {
        "id": txn_id, "reference": f"FT2506{txn_id}", "description": description if description is not None else
        f"NGUYEN VAN AN chuyen tien {reference}", "amount": amount, "runningBalance": 25_000_000,
        "transactionDateTime": when, "accountNumber": account, "bankName": "VietinBank",
        "bankAbbreviation": "ICB", "virtualAccountNumber": "", "virtualAccountName": "",
        "counterAccountName": "NGUYEN VAN AN", "counterAccountNumber": "0987654321",
        "counterAccountBankId": "970415", "counterAccountBankName": "VietinBank"}}


def post_casso(client, body: dict, header: str | None = None, raw: bytes | None = None):
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    return client.post("/payments/casso/webhook", data=data, content_type="application/json",
                       headers={"X-Casso-Signature": header if header is not None else casso_signature_header(body)})


def stripe_signature_header(payload: str, secret: str = STRIPE_WHSEC, t: int | None = None) -> str:
    """Stripe's documented scheme: t=<unix>,v1=hex(HMAC-SHA256(secret, "<t>.<payload>"))."""
    t = int(time.time()) if t is None else t
    digest = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def post_stripe_event(client, event: dict, secret: str = STRIPE_WHSEC):
    payload = json.dumps(event)
    return client.post("/payments/stripe/webhook", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": stripe_signature_header(payload, secret)})


def paid_intent(amount_vnd: int, order_code: str) -> str:
    """A real, succeeded PaymentIntent on localstripe (as Checkout would leave behind)."""
    from marketplace.payments.providers.stripe import stripe_client

    client = stripe_client()
    method = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}})
    intent = client.v1.payment_intents.create(params={
        "amount": amount_vnd, "currency": "vnd", "payment_method": method.id, "confirm": True,
        "metadata": {"order_code": order_code}})
    assert intent.status == "succeeded"
    return intent.id


_event_ids = itertools.count(1)


def stripe_event(event_type: str, obj: dict, created: int | None = None, event_id: str | None = None) -> dict:
    return {"id": event_id or f"evt_test_{next(_event_ids):06d}", "object": "event", "type": event_type,
            "created": created if created is not None else int(time.time()), "livemode": False,
            "api_version": "2025-01-27.acacia", "data": {"object": obj}}


def session_event(event_type: str, order, attempt, *, intent: str | None, payment_status: str = "paid",
                  amount: int | None = None, currency: str = "vnd", created: int | None = None,
                  event_id: str | None = None) -> dict:
    obj = {"id": attempt.provider_ref, "object": "checkout.session", "status": "complete",
           "payment_status": payment_status, "amount_total": order.total_vnd if amount is None else amount,
           "currency": currency, "metadata": {"order_code": order.code, "attempt_id": str(attempt.id)},
           "client_reference_id": order.code, "payment_intent": intent}
    if event_type == "checkout.session.expired":
        obj.update(status="expired", payment_status="unpaid", payment_intent=None)
    return stripe_event(event_type, obj, created=created, event_id=event_id)
