"""The OpenAPI document the app serves describes every invoice endpoint (issue 25, an
extension of the shared API contract): its summary, input, success answer (JSON schema or
file type) and each error it can answer, in the error envelope."""
from __future__ import annotations

import re

import pytest

# (method, path) -> (success status, its media type, the error statuses it documents besides 401/403)
INVOICE_ENDPOINTS = {
    ("get", "/api/v1/seller/order-parts/{part_id}/invoice"): ("200", "application/json", {"404"}),
    ("put", "/api/v1/seller/order-parts/{part_id}/invoice"): ("200", "application/json", {"404", "409", "422"}),
    ("get", "/api/v1/seller/order-parts/{part_id}/invoice.xml"): ("200", "application/xml", {"404", "409"}),
    ("get", "/api/v1/seller/order-parts/{part_id}/invoice-adjustment.xml"): ("200", "application/xml",
                                                                             {"404", "409"}),
    ("post", "/api/v1/seller/order-parts/{part_id}/invoice/issue"): ("200", "application/json",
                                                                     {"404", "409", "503"}),
    ("post", "/api/v1/seller/order-parts/{part_id}/invoice/adjust"): ("200", "application/json",
                                                                      {"404", "409", "503"}),
    ("get", "/api/v1/seller/invoices.zip"): ("200", "application/zip", {"409", "422"}),
    ("get", "/api/v1/seller/invoices.xml"): ("200", "application/xml", {"409", "422"}),
    ("get", "/api/v1/seller/invoice-connection"): ("200", "application/json", set()),
    ("put", "/api/v1/seller/invoice-connection"): ("200", "application/json", {"422"}),
    ("delete", "/api/v1/seller/invoice-connection"): ("204", None, {"404"}),
    ("post", "/api/v1/seller/invoice-connection/test"): ("200", "application/json", {"409"}),
    ("get", "/api/v1/admin/vat-rates"): ("200", "application/json", set()),
    ("put", "/api/v1/admin/vat-rates"): ("200", "application/json", {"422"}),
}
WITH_BODY = {("put", "/api/v1/seller/order-parts/{part_id}/invoice"), ("put", "/api/v1/seller/invoice-connection"),
             ("put", "/api/v1/admin/vat-rates")}


@pytest.fixture
def spec(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    return answer.json


def resolve(spec: dict, ref_or_obj: dict) -> dict:
    for wrapper in ("anyOf", "allOf"):  # a nested schema with a description, or nullable: the schema (or null)
        if wrapper in ref_or_obj:
            ref_or_obj = next(choice for choice in ref_or_obj[wrapper] if "$ref" in choice)
    while "$ref" in ref_or_obj:
        _, section, kind, name = ref_or_obj["$ref"].split("/")
        ref_or_obj = spec[section][kind][name]
    return ref_or_obj


def test_every_invoice_route_of_the_app_is_listed_here(app):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("Invoicing."):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            served |= {(method.lower(), path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == set(INVOICE_ENDPOINTS)


@pytest.mark.parametrize("method, path", sorted(INVOICE_ENDPOINTS))
def test_each_invoice_endpoint_is_documented(spec, method, path):
    success, media, errors = INVOICE_ENDPOINTS[(method, path)]
    operation = spec["paths"][path][method]
    assert operation["summary"] and operation["tags"] == ["Invoicing"]
    assert operation["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
    responses = operation["responses"]
    assert errors | {"401", "403"} <= set(responses), set(responses)
    for status in errors | {"401", "403"}:
        body = resolve(spec, resolve(spec, responses[status])["content"]["application/json"]["schema"])
        assert body["properties"]["error"] == {"$ref": "#/components/schemas/ErrorDetail"}
    if media == "application/json":
        schema = resolve(spec, responses[success]["content"][media]["schema"])
        schema = resolve(spec, schema.get("items", schema))
        assert schema["properties"]
    elif media is not None:
        assert responses[success]["content"][media]["schema"]["type"] == "string"
    else:
        assert success in responses and "content" not in responses[success]
    if (method, path) in WITH_BODY:
        assert resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])["properties"]


def test_the_part_invoice_answer_is_described_field_by_field(spec):
    schemas = spec["components"]["schemas"]
    part = schemas["PartInvoice"]["properties"]
    assert {"part_id", "template", "invoice_request", "invoice", "adjustment_due", "refunded_vnd"} <= set(part)
    issued = resolve(spec, part["invoice"])
    assert issued["properties"]["status"]["enum"] == ["issued", "adjustment_due", "adjusted"]
    assert {"series", "number", "lookup_code", "issued_on"} <= set(resolve(spec, issued["properties"]["adjustment"])
                                                                   ["properties"])
    assert resolve(spec, part["invoice_request"])["properties"]["kind"]["enum"] == ["company", "person"]
    assert "provider_code" in schemas["ErrorDetail"]["properties"]
    adjust = spec["paths"]["/api/v1/seller/order-parts/{part_id}/invoice/adjust"]["post"]
    assert "no_adjustment_due" in adjust["description"] and "provider_unavailable" in adjust["description"]


def test_the_readme_lists_each_extension_of_the_contract():
    """Endpoints beyond ../shared/API.md are listed in the README's "Extensions" section."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Extensions to the shared API contract", 1)[1].split("\n## ", 1)[0]
    in_contract = {"/seller/order-parts/{part_id}/invoice.xml", "/seller/invoices.xml"}
    for _method, path in INVOICE_ENDPOINTS:
        short = path.removeprefix("/api/v1")
        if short not in in_contract:
            assert f"`{short.replace('{part_id}', '{id}')}" in section, short
