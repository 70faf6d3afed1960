"""Bad input is refused with 400/404, never a 500, on SQLite and PostgreSQL alike.

PostgreSQL refuses a NUL character in text and nothing encodes a lone surrogate; Python's
json recurses per nesting level and refuses integers of more than 4,300 digits. One guard
before every view (marketplace/inputguard.py) answers all of these.
"""
from __future__ import annotations

import pytest

from marketplace.accounts.services import issue_token
from tests import factories
from tests.api.envelope import error_of
from tests.hardening.checkout_bodies import checkout_body

@pytest.mark.parametrize("path", [
    "/api/v1/products/" + "9" * 5000, "/api/v1/producers/" + "9" * 5000, "/api/v1/products/a%00b", "/api/v1/producers/a%00", "/api/v1/orders/AB%00CD",
])
def test_a_nul_in_an_api_path_is_not_found(client, path):
    error_of(client.get(path), 404)


@pytest.mark.parametrize("path", ["/products/a%00b", "/payments/qr/X%00Y.png", "/producers/a%00"])
def test_a_nul_in_a_page_path_is_not_found(web, path):
    assert web.get(path).status_code == 404


@pytest.mark.parametrize("query", ["category=a%00", "q=tr%C3%A0%00", "locality=%00", "a%00=1"])
def test_a_nul_in_a_query_is_a_bad_request(client, web, query):
    error = error_of(client.get(f"/api/v1/products?{query}"), 400)
    assert error["code"] == "invalid_characters" and error["fields"]
    assert web.get(f"/products?{query}").status_code == 400


@pytest.mark.parametrize("body", [
    {"email": "a\x00@example.vn", "password": "mat-khau-123"},
    {"email": "lan@example.vn", "password": "mat\x00khau"},
])
def test_a_nul_in_a_login_body_is_a_bad_request(ctx, client, body):
    error = error_of(client.post("/api/v1/auth/login", json=body), 400)
    assert set(error["fields"]) <= {"email", "password"}


def test_a_nul_in_a_login_form_is_a_bad_request(web):
    assert web.post("/login", data={"email": "lan@example.vn\x00", "password": "x"}).status_code == 400


def test_a_nul_or_a_surrogate_in_a_register_body_is_a_bad_request(client):
    body = {"email": "lan@example.vn", "password": "mat-khau-123", "full_name": "Lan\x00", "phone": "0912345678"}
    assert list(error_of(client.post("/api/v1/auth/register", json=body), 400)["fields"]) == ["full_name"]
    raw = b'{"email": "lan@example.vn", "password": "mat-khau-123", "full_name": "L\\ud800n", "phone": "0912345678"}'
    error = error_of(client.post("/api/v1/auth/register", data=raw, content_type="application/json"), 400)
    assert list(error["fields"]) == ["full_name"]


@pytest.mark.parametrize("where", ["contact.full_name", "note", "shipping_address.ward"])
def test_a_nul_in_a_checkout_is_a_bad_request_and_writes_nothing(ctx, client, where):
    from marketplace.extensions import db
    from marketplace.orders.models import Order

    product = factories.product(stock=5)
    body = checkout_body([(product, 1)], where, "a\x00b")
    error = error_of(client.post("/api/v1/checkout", json=body), 400)
    assert list(error["fields"]) == [where]
    assert db.session.query(Order).count() == 0


def test_a_nul_in_a_sellers_product_name_is_a_bad_request(ctx, client):
    seller = factories.user("seller", producer_id=factories.producer().id)
    token = issue_token(seller, "test")
    body = {"name": "Trà\x00hoa vàng", "category": factories.category().slug, "unit": "hộp", "price_vnd": 100_000,
            "stock": 3}
    response = client.post("/api/v1/seller/products", json=body, headers={"Authorization": f"Bearer {token}"})
    assert list(error_of(response, 400)["fields"]) == ["name"]


def test_a_json_body_nested_100000_deep_is_a_bad_request(client):
    deep = "[" * 100_000 + "]" * 100_000
    for path in ("/api/v1/cart/items", "/api/v1/checkout", "/api/v1/auth/login"):
        error = error_of(client.post(path, data=deep, content_type="application/json"), 400)
        assert error["code"] == "invalid_json"


def test_a_json_body_nested_moderately_deep_is_a_bad_request(client):
    body = '{"product_id": 1, "quantity": 1, "x": ' + "[" * 200 + "]" * 200 + "}"
    assert error_of(client.post("/api/v1/cart/items", data=body, content_type="application/json"), 400)


def test_an_integer_of_5000_digits_is_a_bad_request(ctx, client):
    product = factories.product(stock=5)
    for body in ('{"product_id": %d, "quantity": %s}' % (product.id, "9" * 5000),
                 '{"product_id": %s, "quantity": 1}' % ("1" * 5000)):
        error_of(client.post("/api/v1/cart/items", data=body, content_type="application/json"), 400)


def test_a_long_integer_within_the_parser_limits_is_a_validation_error(ctx, client):
    product = factories.product(stock=5)
    body = '{"product_id": %d, "quantity": %s}' % (product.id, "9" * 4000)
    error_of(client.post("/api/v1/cart/items", data=body, content_type="application/json"), 422)


def test_ordinary_input_still_passes(ctx, client):
    product = factories.product(stock=5)
    response = client.post("/api/v1/cart/items", json={"product_id": product.id, "quantity": 2})
    assert response.status_code == 201
    assert client.get("/api/v1/products?q=tr%C3%A0&category=food").status_code == 200


def test_a_stars_filter_of_5000_digits_is_a_validation_error(client, web):
    error_of(client.get("/api/v1/products?stars=" + "9" * 5000), 422)
    assert web.get("/products?stars=" + "9" * 5000).status_code == 200  # the page ignores and names it


@pytest.mark.parametrize("name", [b"\r", b"a\nb", b"\r\xc2\x90`\xc2\x9a"])
@pytest.mark.parametrize("part", [b"", b'; filename="a.jpg"'])
def test_a_form_field_whose_name_breaks_the_multipart_header_is_a_bad_request(ctx, client, name, part):
    """A line break in a part's name leaves the parser without a name: refused, not a 500."""
    seller = factories.user("seller", producer_id=factories.producer().id)
    product = factories.product(prod=seller.producer)
    body = b'--XX\r\nContent-Disposition: form-data; name="' + name + b'"' + part + b'\r\n\r\nnull\r\n--XX--\r\n'
    response = client.post(f"/api/v1/seller/products/{product.id}/images", data=body,
                           content_type="multipart/form-data; boundary=XX",
                           headers={"Authorization": f"Bearer {issue_token(seller, 'test')}"})
    error = error_of(response, 400)
    assert list(error["fields"]) == ["form"] and error["code"] == "invalid_form"
    assert error["message"] == "Không đọc được tên của một trường trong biểu mẫu."
