"""The cart, checkout and order routes of API.md are in the OpenAPI document with their errors."""
from __future__ import annotations

ROUTES = {
    ("get", "/api/v1/cart"): ("200", set()),
    ("post", "/api/v1/cart/items"): ("201", {"404", "409", "422"}),
    ("patch", "/api/v1/cart/items/{product_id}"): ("200", {"404", "409", "422"}),
    ("delete", "/api/v1/cart/items/{product_id}"): ("200", set()),
    ("post", "/api/v1/checkout"): ("201", {"404", "409", "422"}),
    ("get", "/api/v1/orders"): ("200", {"401"}),
    ("get", "/api/v1/orders/{code}"): ("200", {"404"}),
    ("post", "/api/v1/orders/{code}/cancel"): ("200", {"404", "409"}),
    ("get", "/api/v1/track/{code}"): ("200", {"404", "429"}),
}


def test_every_order_route_is_documented_with_its_errors(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for (method, path), (success, errors) in ROUTES.items():
        operation = spec["paths"][path][method]
        assert operation["summary"], (method, path)
        assert success in operation["responses"], (method, path)
        assert errors <= set(operation["responses"]), (method, path)
    checkout = spec["components"]["schemas"]["Checkout"]
    assert {"contact", "shipping_address", "payment_method"} <= set(checkout["required"])
    order = spec["components"]["schemas"]["Order"]["properties"]
    assert {"code", "status", "created_at", "contact", "shipping_address", "subtotal_vnd", "shipping_vnd",
            "total_vnd", "payment", "parts"} <= set(order)
    payment = spec["components"]["schemas"]["Payment"]["properties"]
    assert {"method", "status", "amount_vnd", "checkout_url", "vietqr", "page_url"} <= set(payment)
