"""The header on every page: the cart's item count is rendered by the server, so it survives a
reload and shows on pages the cart script never touched."""
from __future__ import annotations

import re

from tests import factories as f

COUNT = re.compile(r'<span class="badge rounded-pill text-bg-light" id="cart-count"( hidden)?>(\d*)</span>')


def _count(html: str) -> str | None:
    match = COUNT.search(html)
    assert match, "no cart count in the header"
    return None if match.group(1) else match.group(2)


def test_the_cart_count_shows_on_every_page_for_a_guest_and_a_shopper(db, client):
    honey = f.product("Mật ong rừng", stock=10)
    tea = f.product("Trà hoa vàng", stock=10)
    assert _count(client.get("/").get_data(as_text=True)) is None  # empty: hidden

    client.post("/cart/add", data={"product_id": honey.id, "quantity": 2, "next": "/cart"})
    client.post("/cart/add", data={"product_id": tea.id, "quantity": 1, "next": "/cart"})
    for path in ("/", "/products", f"/products/{honey.slug}", "/track", "/login"):
        assert _count(client.get(path).get_data(as_text=True)) == "3", path

    shopper = f.user(email="lan@example.vn")
    f.login(client, shopper.email)  # the guest's cart moves into the shopper's stored cart
    assert _count(client.get("/orders").get_data(as_text=True)) == "3"
    client.delete(f"/api/v1/cart/items/{tea.id}")
    assert _count(client.get("/").get_data(as_text=True)) == "2"


def test_search_and_cart_sit_outside_the_collapsed_menu(db, client):
    html = client.get("/").get_data(as_text=True)
    menu = html[html.index('id="nav"'):html.index("</nav>")]
    assert 'id="site-search"' in html and 'id="site-search"' not in menu
    assert 'href="/cart"' in html and 'href="/cart"' not in menu


def test_search_filters_are_a_collapsed_panel_on_a_phone(db, client):
    f.product("Trà hoa vàng")
    html = client.get("/products?stars=4").get_data(as_text=True)
    assert re.search(r'<button class="btn[^"]*d-lg-none[^"]*"[^>]*data-bs-target="#filters"', html)
    assert re.search(r'<form[^>]*class="filters[^"]*\bcollapse d-lg-block', html)
    assert re.search(r"Bộ lọc và sắp xếp <span[^>]*>1</span>", html)  # one filter in force
