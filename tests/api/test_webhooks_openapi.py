"""The payment webhooks are in the OpenAPI document, under the paths where they are served:
each provider's payload as the request schema with an example the real endpoint accepts,
their authentication as security schemes, and answers that match what they document."""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from openapi_schema_validator import OAS30Validator

from marketplace.payments.providers.banktransfer import casso_signature

SEPAY_KEY = "sepay-doc-test-key"
CASSO_KEY = "casso-doc-test-key"
STRIPE_SECRET = "whsec_doc_test"
WEBHOOKS = {
    "/payments/sepay/webhook": ("payment_webhooks.sepay", "sepayApiKey", "Authorization"),
    "/payments/casso/webhook": ("payment_webhooks.casso", "cassoSignature", "X-Casso-Signature"),
    "/payments/stripe/webhook": ("payment_webhooks.stripe_webhook", "stripeSignature", "Stripe-Signature"),
}


@pytest.fixture
def doc(client):
    return client.get("/api/v1/openapi.json").get_json()


@pytest.fixture
def provider_keys(app):
    keys = {"SEPAY_API_KEY": SEPAY_KEY, "CASSO_CHECKSUM_KEY": CASSO_KEY, "STRIPE_WEBHOOK_SECRET": STRIPE_SECRET}
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(keys)
    yield
    app.config.update(saved)


def _validate(doc: dict, schema: dict, value) -> None:
    """Validate against a schema of the document (OpenAPI 3.0 dialect: `nullable`, `$ref`s)."""
    OAS30Validator({**schema, "components": doc["components"]}).validate(value)


def _operation(doc: dict, path: str) -> dict:
    return doc["paths"][path]["post"]


def _signed_headers(path: str, body: bytes, payload: dict) -> dict:
    if path.startswith("/payments/sepay"):
        return {"Authorization": f"Apikey {SEPAY_KEY}"}
    if path.startswith("/payments/casso"):
        t_ms = str(int(time.time() * 1000))
        return {"X-Casso-Signature": f"t={t_ms},v1={casso_signature(CASSO_KEY, t_ms, payload)}"}
    t = int(time.time())
    digest = hmac.new(STRIPE_SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={t},v1={digest}"}


def test_every_webhook_is_documented_where_it_is_served(app, doc):
    served = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    for path, (endpoint, scheme, header) in WEBHOOKS.items():
        assert served[endpoint] == path
        operation = _operation(doc, path)
        assert operation["security"][0] == {scheme: []}
        security = doc["components"]["securitySchemes"][scheme]
        assert (security["type"], security["in"], security["name"]) == ("apiKey", "header", header)
        assert set(operation["responses"]) >= {"200", "400", "401"}
        assert "$ref" in operation["requestBody"]["content"]["application/json"]["schema"]
    casso = doc["components"]["securitySchemes"]["cassoSignature"]["description"]
    assert "HMAC-SHA512" in casso and "CASSO_CHECKSUM_KEY" in casso and "sorted" in casso
    assert "Apikey <SEPAY_API_KEY>" in doc["components"]["securitySchemes"]["sepayApiKey"]["description"]
    assert _operation(doc, "/payments/sepay/webhook")["security"] == [{"sepayApiKey": []}, {"sepaySignature": []}]
    assert "SEPAY_WEBHOOK_SECRET" in doc["components"]["securitySchemes"]["sepaySignature"]["description"]
    assert "STRIPE_WEBHOOK_SECRET" in doc["components"]["securitySchemes"]["stripeSignature"]["description"]


@pytest.mark.parametrize("path", list(WEBHOOKS))
def test_the_documented_example_is_a_payload_the_webhook_accepts(db, client, doc, provider_keys, path):
    content = _operation(doc, path)["requestBody"]["content"]["application/json"]
    example = content["example"]
    _validate(doc, content["schema"], example)
    body = json.dumps(example, ensure_ascii=False).encode()
    response = client.post(path, data=body, content_type="application/json",
                           headers=_signed_headers(path, body, example))
    assert response.status_code == 200, response.get_json()
    _validate(doc, _operation(doc, path)["responses"]["200"]["content"]["application/json"]["schema"],
              response.get_json())


@pytest.mark.parametrize("path", list(WEBHOOKS))
def test_refusals_match_the_documented_answers(db, client, doc, provider_keys, path):
    responses = _operation(doc, path)["responses"]
    unsigned = client.post(path, json={"id": 1})
    status = "400" if "stripe" in path else "401"  # Stripe's convention: a bad signature is a bad request
    assert unsigned.status_code == int(status)
    _validate(doc, responses[status]["content"]["application/json"]["schema"], unsigned.get_json())

    malformed = {"data": {"id": "x"}} if "casso" in path else {"id": "not a transaction"}
    body = json.dumps(malformed).encode()
    refused = client.post(path, data=body, content_type="application/json",
                          headers=_signed_headers(path, body, malformed))
    assert refused.status_code == 400, refused.get_json()
    _validate(doc, responses["400"]["content"]["application/json"]["schema"], refused.get_json())


def test_without_its_secret_a_webhook_is_unauthorized_as_documented(db, client, doc, app):
    saved = app.config["STRIPE_WEBHOOK_SECRET"]
    app.config["STRIPE_WEBHOOK_SECRET"] = ""
    try:
        response = client.post("/payments/stripe/webhook", json={"id": "evt_1"})
    finally:
        app.config["STRIPE_WEBHOOK_SECRET"] = saved
    assert response.status_code == 401
    responses = _operation(doc, "/payments/stripe/webhook")["responses"]
    assert "STRIPE_WEBHOOK_SECRET" in responses["401"]["description"]
    _validate(doc, responses["401"]["content"]["application/json"]["schema"], response.get_json())


def test_a_payload_that_breaks_the_documented_schema_is_refused_by_the_schema_too(doc):
    """The schemas say something: SePay's transferType and amount, Casso's required fields."""
    sepay = doc["components"]["schemas"]["SepayNotification"]
    example = _operation(doc, "/payments/sepay/webhook")["requestBody"]["content"]["application/json"]["example"]
    with pytest.raises(Exception):
        _validate(doc, sepay, {**example, "transferType": "sideways"})
    with pytest.raises(Exception):
        _validate(doc, sepay, {k: v for k, v in example.items() if k != "transferAmount"})
    casso = doc["components"]["schemas"]["CassoNotification"]
    with pytest.raises(Exception):
        _validate(doc, casso, {"error": 0, "data": {"id": 1}})
