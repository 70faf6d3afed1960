"""The payment providers' webhooks in the OpenAPI document (documentation only).

They are served by marketplace/payments/webhooks.py at the site root (`/payments/...`, not
under /api/v1), with each provider's own authentication and payload shape, so that a real
SePay, Casso or Stripe account can be pointed at the marketplace unchanged. This module
describes them where they are served: the request body each provider sends (schema and
example), how each one authenticates (a security scheme per provider) and the answers.
"""
from __future__ import annotations

WEBHOOK_TAG = "Payment notifications (webhooks)"

SECURITY_SCHEMES = {
    "sepayApiKey": {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": "SePay: `Authorization: Apikey <SEPAY_API_KEY>` (the key configured in SePay's webhook "
                       "settings, compared in constant time). Without SEPAY_API_KEY every notification is 401.",
    },
    "sepaySignature": {
        "type": "apiKey", "in": "header", "name": "X-SePay-Signature",
        "description": "SePay's signed mode (SEPAY_WEBHOOK_AUTH=hmac, instead of the API key): "
                       "`X-SePay-Timestamp: <unix s>` and `X-SePay-Signature: sha256=<hex>`, HMAC-SHA256 "
                       "keyed with SEPAY_WEBHOOK_SECRET over `<timestamp>.<raw body>`; a timestamp further "
                       "than BANK_WEBHOOK_MAX_AGE_S (300 s) from now is refused.",
    },
    "cassoSignature": {
        "type": "apiKey", "in": "header", "name": "X-Casso-Signature",
        "description": "Casso webhook v2: `X-Casso-Signature: t=<unix ms>,v1=<hex>`, where v1 is "
                       "HMAC-SHA512 keyed with CASSO_CHECKSUM_KEY over `<t>.<body>`, the body's JSON with "
                       "keys sorted at every level and no spaces. A timestamp older (or newer) than "
                       "BANK_WEBHOOK_MAX_AGE_S (300 s) is refused.",
    },
    "stripeSignature": {
        "type": "apiKey", "in": "header", "name": "Stripe-Signature",
        "description": "Stripe: `Stripe-Signature: t=<unix s>,v1=<hex>`, HMAC-SHA256 with the endpoint's "
                       "signing secret (STRIPE_WEBHOOK_SECRET) over `<t>.<raw body>`, verified with the "
                       "stripe SDK (tolerance 300 s).",
    },
}

SEPAY_NOTIFICATION = {
    "type": "object",
    "description": "SePay's transaction notification. The order's payment reference is looked for in "
                   "`code`, `content` and `description` (any case, spaces or punctuation).",
    "required": ["id", "transactionDate", "accountNumber", "transferType", "transferAmount"],
    "properties": {
        "id": {"type": "integer", "description": "SePay's transaction id (a repeat is acknowledged, not applied)"},
        "gateway": {"type": "string", "description": "the bank, e.g. Vietcombank"},
        "transactionDate": {"type": "string", "example": "2026-11-23 14:02:37",
                            "description": "`YYYY-MM-DD HH:MM:SS`, the bank's time in Asia/Ho_Chi_Minh"},
        "accountNumber": {"type": "string", "minLength": 1, "maxLength": 40,
                          "description": "the receiving account (must be VIETQR_ACCOUNT_NO)"},
        "code": {"type": "string", "nullable": True, "description": "the payment code SePay recognised"},
        "content": {"type": "string", "nullable": True, "description": "the transfer's content"},
        "transferType": {"type": "string", "enum": ["in", "out"], "description": "`out` is ignored"},
        "transferAmount": {"type": "integer", "minimum": 1, "description": "VND"},
        "accumulated": {"type": "integer", "nullable": True, "description": "the account's balance"},
        "subAccount": {"type": "string", "nullable": True},
        "referenceCode": {"type": "string", "nullable": True, "description": "the bank's reference"},
        "description": {"type": "string", "nullable": True, "description": "the bank's statement line"},
    },
    "additionalProperties": True,
}
SEPAY_EXAMPLE = {
    "id": 92704, "gateway": "Vietcombank", "transactionDate": "2026-11-23 14:02:37",
    "accountNumber": "0011004123456", "code": "QN7K2M9PXA", "content": "QN7K2M9PXA thanh toan don hang",
    "transferType": "in", "transferAmount": 385000, "accumulated": 19077000, "subAccount": None,
    "referenceCode": "MBVCB.3278907687", "description": "MBVCB.3278907687.QN7K2M9PXA thanh toan don hang",
}

CASSO_TRANSACTION = {
    "type": "object",
    "required": ["id", "amount", "transactionDateTime", "accountNumber"],
    "properties": {
        "id": {"type": "integer", "description": "Casso's transaction id (a repeat is acknowledged, not applied)"},
        "reference": {"type": "string", "nullable": True, "description": "the bank's reference"},
        "description": {"type": "string", "nullable": True,
                        "description": "the transfer's description, where the payment reference is looked for"},
        "amount": {"type": "integer", "description": "VND; negative for money going out (ignored); never 0"},
        "runningBalance": {"type": "integer", "nullable": True},
        "transactionDateTime": {"type": "string", "example": "2026-11-23 14:02:00",
                                "description": "`YYYY-MM-DD HH:MM:SS`, the bank's time in Asia/Ho_Chi_Minh"},
        "accountNumber": {"type": "string", "minLength": 1, "maxLength": 40,
                          "description": "the receiving account (must be VIETQR_ACCOUNT_NO)"},
        "bankName": {"type": "string", "nullable": True},
    },
    "additionalProperties": True,
}
CASSO_NOTIFICATION = {
    "type": "object",
    "description": "Casso webhook v2: one transaction in `data` (a list of them is accepted too).",
    "required": ["data"],
    "properties": {
        "error": {"type": "integer", "description": "0; anything else is refused (400)"},
        "data": {"oneOf": [{"$ref": "#/components/schemas/CassoTransaction"},
                           {"type": "array", "items": {"$ref": "#/components/schemas/CassoTransaction"}}]},
    },
    "additionalProperties": True,
}
CASSO_EXAMPLE = {
    "error": 0,
    "data": {"id": 1432761, "reference": "FT25327000123", "description": "QN7K2M9PXA thanh toan don hang",
             "amount": 385000, "runningBalance": 25000000, "transactionDateTime": "2026-11-23 14:02:00",
             "accountNumber": "0011004123456", "bankName": "Vietcombank", "bankAbbreviation": "VCB",
             "virtualAccountNumber": "", "virtualAccountName": "", "counterAccountName": "NGUYEN THI LAN",
             "counterAccountNumber": "1903123456789", "counterAccountBankId": "970407",
             "counterAccountBankName": "Techcombank"},
}

STRIPE_EVENTS = ["checkout.session.completed", "checkout.session.async_payment_succeeded",
                 "checkout.session.async_payment_failed", "checkout.session.expired", "charge.refunded"]
STRIPE_EVENT = {
    "type": "object",
    "description": "A Stripe Event (API version of the account). Handled types: "
                   + ", ".join(f"`{t}`" for t in STRIPE_EVENTS) + "; any other type is acknowledged and "
                   "ignored. A Checkout Session is matched to its order by `client_reference_id` (the order "
                   "code) and its amount in `vnd` checked.",
    "required": ["id", "type", "created", "data"],
    "properties": {
        "id": {"type": "string", "description": "the event id (a repeat is acknowledged, not applied)"},
        "object": {"type": "string", "enum": ["event"]},
        "type": {"type": "string", "example": "checkout.session.completed"},
        "created": {"type": "integer", "description": "Unix time: the payment time of the order"},
        "livemode": {"type": "boolean"},
        "api_version": {"type": "string"},
        "data": {"type": "object", "required": ["object"], "properties": {
            "object": {"type": "object", "additionalProperties": True,
                       "description": "the Checkout Session or Charge the event is about"}}},
    },
    "additionalProperties": True,
}
STRIPE_EXAMPLE = {
    "id": "evt_1QeXamPLE0rder", "object": "event", "type": "checkout.session.completed", "created": 1795420957,
    "livemode": False, "api_version": "2024-06-20",
    "data": {"object": {"id": "cs_test_a1B2c3", "object": "checkout.session", "client_reference_id": "HS3HP-44SGJ",
                        "amount_total": 385000, "currency": "vnd", "payment_status": "paid",
                        "payment_intent": "pi_3QeXamPLE", "status": "complete"}},
}

BANK_ACK = {
    "type": "object",
    "required": ["success"],
    "properties": {
        "success": {"type": "boolean", "enum": [True]},
        "outcome": {"description": "what the notification did, e.g. `paid`, `unmatched`, `duplicate`, "
                                   "`ignored_outgoing` (one per transaction when Casso sends several)",
                    "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    },
}
STRIPE_ACK = {
    "type": "object",
    "required": ["received"],
    "properties": {
        "received": {"type": "boolean", "enum": [True]},
        "outcome": {"type": "string", "description": "what the event did, e.g. `paid`, `duplicate`, `ignored`"},
    },
}
WEBHOOK_ERROR = {
    "type": "object",
    "required": ["success", "error"],
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "enum": ["unauthorized", "bad_request"]},
            "message": {"type": "string"}}},
    },
}

SCHEMAS = {"SepayNotification": SEPAY_NOTIFICATION, "CassoTransaction": CASSO_TRANSACTION,
           "CassoNotification": CASSO_NOTIFICATION, "StripeEvent": STRIPE_EVENT,
           "BankWebhookAck": BANK_ACK, "StripeWebhookAck": STRIPE_ACK, "WebhookError": WEBHOOK_ERROR}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _operation(summary: str, description: str, security: tuple[str, ...], body: str, example: dict, ack: str,
               bad_request: str, unauthorized: str = "bad or missing credentials, or the provider's key is not "
                                                     "configured: nothing is read or written") -> dict:
    error = {"application/json": {"schema": _ref("WebhookError")}}
    return {"post": {
        "tags": [WEBHOOK_TAG],
        "summary": summary,
        "description": description + " Delivery is at least once: a repeated transaction or event id is "
                                     "acknowledged with 200 and changes nothing. Rate limited per provider "
                                     "address (WEBHOOK_RATE_LIMIT).",
        "operationId": f"webhook_{security[0]}",
        "security": [{scheme: []} for scheme in security],  # any one of them, as configured
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": _ref(body), "example": example}}},
        "responses": {
            "200": {"description": "accepted (also a repeat, or a notification that does not concern an order)",
                    "content": {"application/json": {"schema": _ref(ack)}}},
            "400": {"description": bad_request, "content": error},
            "401": {"description": unauthorized, "content": error},
            "429": {"description": "too many notifications from this address"},
        },
    }}


# By the endpoint that serves each one: its path in the document is the route's own.
OPERATIONS = {
    "payment_webhooks.sepay": _operation(
        "SePay bank-transfer notification",
        "A transfer received on the VietQR account. Matched to an order by its payment reference and the "
        "receiving account: the full amount marks the order paid; a partial, unmatched, late or excess "
        "transfer waits for an admin on the reconciliation page. Replies `{\"success\": true}` as SePay expects.",
        ("sepayApiKey", "sepaySignature"), "SepayNotification", SEPAY_EXAMPLE, "BankWebhookAck",
        "not JSON, or a required field missing or malformed"),
    "payment_webhooks.casso": _operation(
        "Casso bank-transfer notification (webhook v2)",
        "As SePay's, from Casso: each transaction of `data` is matched and applied the same way.",
        ("cassoSignature",), "CassoNotification", CASSO_EXAMPLE, "BankWebhookAck",
        "`error` not 0, or a transaction missing a field, malformed, or of amount 0"),
    "payment_webhooks.stripe_webhook": _operation(
        "Stripe event",
        "Card payments through Stripe Checkout: a completed (or asynchronously succeeded) session pays its "
        "order at the event's time; failed and expired sessions close the attempt; a refunded charge is "
        "booked in the payment ledger.",
        ("stripeSignature",), "StripeEvent", STRIPE_EXAMPLE, "StripeWebhookAck",
        "the signature is missing or does not verify (as Stripe's own libraries answer), or the body is not "
        "a Stripe event: nothing is written",
        "STRIPE_WEBHOOK_SECRET is not configured: nothing is read or written"),
}


def document_webhooks(spec, app) -> None:
    """Add the webhooks' paths (those of the routes that serve them), payload schemas and
    security schemes to the API's spec."""
    for name, scheme in SECURITY_SCHEMES.items():
        spec.components.security_scheme(name, scheme)
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema)
    spec.tag({"name": WEBHOOK_TAG, "description": "Called by the payment providers, not by clients; served "
                                                  "at the site root, outside /api/v1."})
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    for endpoint, operations in OPERATIONS.items():
        spec.path(rule=rules[endpoint], operations=operations)
