"""The API documentation is served from this server, with no inline script."""
import jsonschema
import pytest

from tests import factories


def test_swagger_ui_is_served_locally(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    assert "http://" not in html and "https://" not in html  # no CDN
    assert "<script>" not in html  # every script has a src: CSP forbids inline ones
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_only_the_bundle_assets_are_exposed(client):
    assert client.get("/api/v1/docs/assets/index.j2").status_code == 404
    assert client.get("/api/v1/docs/assets/../../../etc/passwd").status_code == 404


def test_openapi_document_is_json(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["info"]["title"] == "OCOP Marketplace API"
    assert doc["openapi"].startswith("3.")


def test_ids_beyond_a_database_integer_are_refused_cleanly(client):
    """Found by the API fuzzer on PostgreSQL: a huge product_id reached the database (int4) as a 500."""
    response = client.post("/api/v1/cart/items", json={"product_id": 2**40, "quantity": 1})
    assert response.status_code == 422
    assert "product_id" in response.get_json()["error"]["fields"]
    assert client.get(f"/api/v1/producers/{2**40}").status_code == 404


def _matches_documented_error(doc: dict, body: dict) -> None:
    schema = {"$ref": "#/components/schemas/Error", "components": doc["components"]}
    jsonschema.validate(body, schema)


def test_an_out_of_stock_conflict_matches_the_documented_error(client, db):
    """The 409 names the product, its stock and the quantity asked: all documented fields."""
    product = factories.product("Trà hoa vàng", stock=2)
    doc = client.get("/api/v1/openapi.json").get_json()
    response = client.post("/api/v1/cart/items", json={"product_id": product.id, "quantity": 5})
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] | {"message": None} == {"code": "insufficient_stock", "message": None,
                                                 "product_id": product.id, "product_name": "Trà hoa vàng",
                                                 "available": 2, "requested": 5}
    _matches_documented_error(doc, body)
    undocumented = {"error": {**body["error"], "surprise": 1}}
    with pytest.raises(jsonschema.ValidationError):
        _matches_documented_error(doc, undocumented)
