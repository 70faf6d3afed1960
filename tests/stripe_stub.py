"""Stripe in tests, without the network.

The test app talks to Stripe through `CheckoutTransport`, the stripe SDK's HTTP client
replaced at the transport layer: Checkout Sessions (which the `localstripe` server lacks)
are answered here the way Stripe documents them, everything else goes over HTTP to
STRIPE_API_BASE, which is a closed local port unless a test starts localstripe
(tests/payments/conftest.py: `stripe_env`).
"""
from __future__ import annotations

import json
import secrets
from urllib.parse import parse_qsl, urlsplit

import stripe

# Nothing listens here: a Stripe call a test did not arrange fails at once, never reaching the internet.
UNREACHABLE_API_BASE = "http://127.0.0.1:9"


class CheckoutTransport(stripe.RequestsClient):
    """The stripe SDK's HTTP client, replaced at the transport layer.

    localstripe has no Checkout Sessions, so POST /v1/checkout/sessions is answered here the
    way Stripe documents it (same Idempotency-Key -> same session); every other call goes to
    the localstripe server over HTTP as usual. Every request is recorded.
    """

    def __init__(self):
        super().__init__()
        self.calls: list[dict] = []
        self._by_key: dict[str, dict] = {}

    def request(self, method, url, headers, post_data=None):
        path = urlsplit(url).path
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
        self.calls.append({"method": method, "path": path, "headers": dict(headers), "params": dict(parse_qsl(body))})
        if method == "post" and path == "/v1/checkout/sessions":
            key = headers.get("Idempotency-Key")
            if key not in self._by_key:
                self._by_key[key] = self._checkout_session(self.calls[-1]["params"])
            return json.dumps(self._by_key[key]), 200, {"request-id": "req_local"}
        return super().request(method, url, headers, post_data)

    @staticmethod
    def _checkout_session(params: dict) -> dict:
        sid = "cs_test_" + secrets.token_hex(12)
        amount = int(params["line_items[0][price_data][unit_amount]"]) * int(params["line_items[0][quantity]"])
        metadata = {k[len("metadata["):-1]: v for k, v in params.items() if k.startswith("metadata[")}
        return {"id": sid, "object": "checkout.session", "mode": params["mode"], "status": "open",
                "payment_status": "unpaid", "amount_total": amount,
                "currency": params["line_items[0][price_data][currency]"], "metadata": metadata,
                "client_reference_id": params.get("client_reference_id"), "expires_at": int(params["expires_at"]),
                "url": f"https://checkout.stripe.com/c/pay/{sid}", "payment_intent": None}

    def sessions_created(self) -> list[dict]:
        return [c for c in self.calls if c["path"] == "/v1/checkout/sessions"]
