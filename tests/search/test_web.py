"""The results page: highlighted matches, "did you mean", the empty state, the suggestions script."""
from __future__ import annotations

from tests import factories as f


def page(client, **params):
    response = client.get("/products", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_matches_are_highlighted_in_names_and_description_snippets(backend, client):
    f.product("Mật ong rừng Ba Chẽ", description="Mật ong nguyên chất từ rừng già")
    html = page(client, q="mat ong")
    assert "<mark>Mật</mark> <mark>ong</mark> rừng Ba Chẽ" in html
    assert "<mark>Mật</mark> <mark>ong</mark> nguyên chất" in html
    assert "<mark>" not in page(client)  # browsing without a query marks nothing


def test_a_typo_shows_did_you_mean_and_the_corrected_results(backend, client):
    f.product("Trà hoa vàng Ba Chẽ")
    html = page(client, q="tra hoa vabg")
    assert 'href="/products?q=tra+hoa+vang"' in html
    assert "<mark>Trà</mark> <mark>hoa</mark> <mark>vàng</mark> Ba Chẽ" in html
    assert "nothing matched “tra hoa vabg”" in html or "không có sản phẩm nào khớp với “tra hoa vabg”" in html


def test_an_empty_search_explains_what_to_try(backend, client):
    f.product("Trà hoa vàng Ba Chẽ", stars=3)
    html = page(client, q="xyzxyz", lang="en")
    assert "No products match “xyzxyz”" in html and "type without accents" in html
    assert "Search again without the filters" not in html
    html = page(client, q="tra", stars="5", lang="en")
    assert "Search again without the filters" in html and 'href="/products?q=tra"' in html
    assert "Không có sản phẩm nào khớp với “xyzxyz”" in page(client, q="xyzxyz", lang="vi")


def test_every_page_loads_the_suggestions_script_without_inline_code(client):
    html = page(client)
    assert '<script src="/static/js/search.js?v=' in html
    assert 'data-suggest-url="/api/v1/products/suggest"' in html
    assert client.get("/static/js/search.js").status_code == 200
