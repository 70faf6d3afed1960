"""The OpenAPI document describes the admin and open-data API (API.md: all of it)."""
from __future__ import annotations

import pytest

ADMIN_ROUTES = {
    ("get", "/api/v1/admin/producers"): "200",
    ("post", "/api/v1/admin/producers/{producer_id}/approve"): "200",
    ("post", "/api/v1/admin/producers/{producer_id}/suspend"): "200",
    ("post", "/api/v1/admin/producers/{producer_id}/reinstate"): "200",
    ("post", "/api/v1/admin/products/{product_id}/certification"): "200",
    ("put", "/api/v1/admin/retail-totals/{period}"): "200",
    ("put", "/api/v1/admin/ecommerce-channels/{period}"): "200",
    ("get", "/api/v1/admin/stats/sales"): "200",
    ("get", "/api/v1/admin/stats/ecommerce-share"): "200",
    ("get", "/api/v1/admin/exports/sales.csv"): "200",
    ("get", "/api/v1/admin/exports/sales.xlsx"): "200",
}


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def _resolve(spec, obj):
    while "$ref" in obj:
        _, section, kind, name = obj["$ref"].split("/")
        obj = spec[section][kind][name]
    return obj


@pytest.mark.parametrize("method,path", list(ADMIN_ROUTES))
def test_each_admin_operation_is_documented_with_auth_and_the_error_envelope(spec, method, path):
    operation = spec["paths"][path][method]
    assert operation["summary"] and operation["tags"]
    assert operation["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
    responses = operation["responses"]
    assert {ADMIN_ROUTES[(method, path)], "401", "403"} <= set(responses)
    for status, response in responses.items():
        if status[0] in "45":
            schema = _resolve(spec, _resolve(spec, response)["content"]["application/json"]["schema"])
            assert schema["properties"]["error"] == {"$ref": "#/components/schemas/ErrorDetail"}


def test_the_documented_shapes_of_statistics_and_files(spec):
    sales = spec["paths"]["/api/v1/admin/stats/sales"]["get"]
    assert {"from", "to", "group_by"} <= {p["name"] for p in sales["parameters"]}
    group_by = next(p for p in sales["parameters"] if p["name"] == "group_by")
    # API.md's groupings, plus `product`, documented as an extension
    assert set(group_by["schema"]["enum"]) == {"month", "locality", "region", "category", "stars", "producer_kind",
                                               "producer", "product"}
    assert "extension" in group_by["description"] and "product" in group_by["description"]
    body = _resolve(spec, sales["responses"]["200"]["content"]["application/json"]["schema"])
    row = _resolve(spec, body["properties"]["total"])
    assert row["properties"]["value_vnd"]["type"] == "integer"
    csv = spec["paths"]["/api/v1/admin/exports/sales.csv"]["get"]["responses"]["200"]
    assert "text/csv" in csv["content"]
    share = spec["paths"]["/api/v1/admin/stats/ecommerce-share"]["get"]["responses"]["200"]
    figures = _resolve(spec, share["content"]["application/json"]["schema"])
    assert {"marketplace_vnd", "total_retail_vnd", "share_percent", "target_percent", "trend"} <= set(
        figures["properties"])
    open_data = spec["paths"]["/api/v1/open-data/ocop-sales"]["get"]
    assert "security" not in open_data and {"200", "304"} <= set(open_data["responses"])
