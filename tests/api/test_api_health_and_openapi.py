"""Health probes in the API, the OpenAPI document and the error envelope."""
from __future__ import annotations

import re

import pytest

from marketplace import health
from tests.api.envelope import error_of

# Every route of the foundation API: (method, path) -> success status.
ROUTES = {
    ("post", "/api/v1/auth/register"): "201",
    ("post", "/api/v1/auth/login"): "200",
    ("post", "/api/v1/auth/logout"): "204",
    ("post", "/api/v1/auth/tokens"): "201",
    ("get", "/api/v1/auth/csrf"): "200",
    ("get", "/api/v1/me"): "200",
    ("get", "/api/v1/products"): "200",
    ("get", "/api/v1/products/{ref}"): "200",
    ("get", "/api/v1/categories"): "200",
    ("get", "/api/v1/producers"): "200",
    ("get", "/api/v1/producers/{ref}"): "200",
    ("get", "/api/v1/healthz"): "200",
    ("get", "/api/v1/readyz"): "200",
}
WITH_BODY = {"/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/tokens"}


def test_healthz(client):
    response = client.get("/api/v1/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_reports_the_same_checks_as_the_plain_probe(client, ctx):
    expected = health.readiness_checks()
    response = client.get("/api/v1/readyz")
    body = response.get_json()
    assert body["checks"] == expected
    assert body["checks"]["database"] == {"ok": True}
    ready = all(check["ok"] for check in expected.values())
    assert response.status_code == (200 if ready else 503)
    assert body["status"] == ("ready" if ready else "unavailable")


def test_readyz_is_503_with_the_error_envelope_when_a_dependency_is_down(client, monkeypatch):
    real = health.readiness_checks

    def search_down():
        return {**real(), "search": {"ok": False, "detail": "LockError"}}

    monkeypatch.setattr(health, "readiness_checks", search_down)
    response = client.get("/api/v1/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["search"] == {"ok": False, "detail": "LockError"}
    assert body["checks"]["database"] == {"ok": True}
    assert body["error"]["code"] == "unavailable" and "search" in body["error"]["message"]


def test_errors_use_the_envelope_everywhere_in_the_api(client):
    assert error_of(client.get("/api/v1/no-such-thing"), 404)["code"] == "not_found"
    assert error_of(client.delete("/api/v1/products"), 405)["code"] == "method_not_allowed"
    assert error_of(client.get("/api/v1/me"), 401)["message"] == "Vui lòng đăng nhập"
    assert error_of(client.get("/api/v1/me?lang=en"), 401)["message"] == "Please sign in"


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def resolve(spec: dict, ref_or_obj: dict) -> dict:
    while "$ref" in ref_or_obj:
        _, section, kind, name = ref_or_obj["$ref"].split("/")
        ref_or_obj = spec[section][kind][name]
    return ref_or_obj


def test_the_openapi_document_describes_every_route_with_schemas(spec):
    assert spec["openapi"].startswith("3.") and spec["info"]["version"] == "v1"
    for (method, path), success in ROUTES.items():
        operation = spec["paths"][path][method]
        assert operation["summary"] and operation["tags"], (method, path)
        responses = operation["responses"]
        assert success in responses, (method, path)
        if success != "204":
            schema = resolve(spec, responses[success]["content"]["application/json"]["schema"])
            assert schema["properties"], (method, path)
        if path in WITH_BODY:
            body = resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])
            assert {"email", "password"} <= set(body["properties"]) and "email" in body["required"]
        for status, response in responses.items():
            if status[0] in "45" or status == "default":
                content = resolve(spec, resolve(spec, response)["content"]["application/json"]["schema"])
                # the envelope: {"error": ErrorDetail} (readyz adds its checks beside it)
                assert content["properties"]["error"] == {"$ref": "#/components/schemas/ErrorDetail"}, (
                    method, path, status)
    products = spec["paths"]["/api/v1/products"]["get"]
    params = {p["name"] for p in products["parameters"]}
    assert {"q", "stars", "category", "locality", "producer", "price_min", "price_max", "in_stock", "sort",
            "page", "per_page", "facets"} <= params
    assert "422" in products["responses"]
    assert "404" in spec["paths"]["/api/v1/products/{ref}"]["get"]["responses"]
    assert {"401", "429"} <= set(spec["paths"]["/api/v1/auth/login"]["post"]["responses"])
    assert "409" in spec["paths"]["/api/v1/auth/register"]["post"]["responses"]
    assert "503" in spec["paths"]["/api/v1/readyz"]["get"]["responses"]


def test_the_error_envelope_and_security_schemes_are_components(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["Error"]["properties"] == {"error": {"$ref": "#/components/schemas/ErrorDetail"}}
    assert schemas["Error"]["required"] == ["error"]
    detail = schemas["ErrorDetail"]
    assert {"code", "message", "fields"} <= set(detail["properties"])
    # 409 out-of-stock names the product, 412 stale_stock gives a listing's stock now; those
    # fields are optional extensions of the contract, as is the provider's code of a refused e-invoice
    assert set(detail["properties"]) - {"code", "message", "fields"} == {
        "product_id", "product_name", "available", "requested", "stock", "provider_code"}
    assert {"code", "message"} <= set(detail.get("required", []))
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["cookieAuth"]["in"] == "cookie"
    assert spec["paths"]["/api/v1/me"]["get"]["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
    assert "401" in spec["paths"]["/api/v1/me"]["get"]["responses"]
    money = schemas["ProductSummary"]["properties"]["price_vnd"]
    assert money["type"] == "integer"


def test_every_api_url_is_in_the_openapi_document(app, spec):
    """API.md: the document describes all of the API, whoever adds to it."""
    documented = set(spec["paths"])
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith(("api-docs.", "api_docs.")):
            continue  # the document itself and its Swagger UI pages
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert path in documented, rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in spec["paths"][path], (method, rule.rule)
