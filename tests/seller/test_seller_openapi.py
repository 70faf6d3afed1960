"""The seller API is described in the OpenAPI document: operations, security and error envelopes."""
from __future__ import annotations

SELLER_OPERATIONS = {
    ("get", "/api/v1/seller/products"): "200", ("post", "/api/v1/seller/products"): "201",
    ("get", "/api/v1/seller/products/{product_id}"): "200", ("patch", "/api/v1/seller/products/{product_id}"): "200",
    ("delete", "/api/v1/seller/products/{product_id}"): "200",
    ("post", "/api/v1/seller/products/{product_id}/images"): "201",
    ("delete", "/api/v1/seller/products/{product_id}/images/{image_id}"): "200",
    ("get", "/api/v1/seller/orders"): "200", ("get", "/api/v1/seller/order-parts/{part_id}"): "200",
    ("patch", "/api/v1/seller/order-parts/{part_id}"): "200",
}


def test_every_seller_operation_is_documented(client):
    spec = client.get("/api/v1/openapi.json").json
    for (method, path), success in SELLER_OPERATIONS.items():
        operation = spec["paths"][path][method]
        assert operation["summary"] and operation["tags"] == ["Seller"], (method, path)
        assert {"bearerAuth": []} in operation["security"], (method, path)
        assert {success, "401", "403"} <= set(operation["responses"]), (method, path)
        if "{" in path:
            assert "404" in operation["responses"], (method, path)
    listing = spec["paths"]["/api/v1/seller/products"]["get"]
    assert {"page", "per_page", "status", "q"} <= {p["name"] for p in listing["parameters"]}
    move = spec["paths"]["/api/v1/seller/order-parts/{part_id}"]["patch"]
    assert {"409", "422"} <= set(move["responses"])
