"""GET /api/v1/products/suggest: completions for the search box."""
from __future__ import annotations

from tests import factories as f


def suggest(client, q, **params):
    response = client.get("/api/v1/products/suggest", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()["items"]]


def test_completes_the_last_word_accent_insensitively(backend, client):
    f.product("Mật ong rừng Ba Chẽ", sold_count=5)
    f.product("Mắm tôm Quan Lạn", sold_count=50)
    f.product("Trà hoa vàng", description="mật ong")  # only the name completes
    f.product("Mật ong hoa nhãn", status="archived")
    assert suggest(client, "mat o") == ["Mật ong rừng Ba Chẽ"]
    assert suggest(client, "MẬT Ô") == ["Mật ong rừng Ba Chẽ"]
    assert suggest(client, "ma") == ["Mắm tôm Quan Lạn", "Mật ong rừng Ba Chẽ"]  # best-selling first
    assert suggest(client, "ba ch") == ["Mật ong rừng Ba Chẽ"]
    assert suggest(client, "xyz") == []
    assert suggest(client, "") == [] and suggest(client, "  !! ") == []


def test_names_starting_with_the_words_come_first(backend, client):
    f.product("Rượu ba kích", sold_count=100)
    f.product("Ba kích tím Ba Chẽ", sold_count=1)
    assert suggest(client, "ba ki") == ["Ba kích tím Ba Chẽ", "Rượu ba kích"]


def test_at_most_ten_completions(backend, client):
    producer, category = f.producer(), f.category()
    for i in range(12):
        f.product(f"Chả mực loại {i}", prod=producer, cat=category, stars=None)
    assert len(suggest(client, "cha")) == 10
    assert len(suggest(client, "cha", limit=3)) == 3
    response = client.get("/api/v1/products/suggest", query_string={"q": "cha", "limit": 50})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
    assert "limit" in response.get_json()["error"]["fields"]


def test_suggest_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/products/suggest" in spec["paths"]
