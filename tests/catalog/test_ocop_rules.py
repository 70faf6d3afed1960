"""OCOP rules on the shop: only a product with a live certificate is sold or shown as OCOP,
the badge says who issued the rating, and sample seed data is marked wherever it shows."""
from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.timeutil import local_today
from tests import factories as f
from tests.factories import checkout


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def badge(html: str) -> str:
    """The first OCOP badge of a page."""
    return html.split('class="badge ocop-badge"')[1].split("</span>\n  </span>")[0]


def card(html: str, name: str) -> str:
    """The product card showing `name`."""
    return next(c for c in html.split('class="card h-100')[1:] if f">{name}</a>" in c)


@pytest.fixture
def uncertified(db):
    """Each way a certificate can fail to count, on a product that is otherwise public."""
    maker = f.producer("HTX Hải sản Vân Đồn")
    return {
        "missing": f.product("Chả cá chưa chứng nhận", stars=None, prod=maker),
        "unverified": f.product("Nước mắm chờ xác minh", stars=4, verified=False, prod=maker),
        "expired": f.product("Sá sùng hết hạn", stars=5, prod=maker, expires_on=local_today() - timedelta(days=1)),
    }


@pytest.mark.parametrize("state", ["missing", "unverified", "expired"])
def test_a_product_without_a_live_certificate_is_not_for_sale(client, uncertified, state):
    item = uncertified[state]
    shown = page(client, f"/products/{item.slug}")
    assert 'id="not-for-sale"' in shown and "Không bán" in shown
    assert 'action="/cart/add"' not in shown and "ocop-badge" not in shown.split('id="more-heading"')[0]

    cart = client.post("/api/v1/cart/items", json={"product_id": item.id, "quantity": 1})
    assert cart.status_code == 404
    order = checkout(client, [(item, 1)])
    assert order.status_code == 409, order.get_json()
    assert client.get(f"/api/v1/products/{item.id}").get_json()["for_sale"] is False


def test_a_certified_product_is_for_sale_with_its_badge(client, db):
    item = f.product("Chả mực giã tay", stars=4)
    shown = page(client, f"/products/{item.slug}")
    assert 'id="not-for-sale"' not in shown and 'action="/cart/add"' in shown
    assert client.post("/api/v1/cart/items", json={"product_id": item.id, "quantity": 1}).status_code in (200, 201)


@pytest.mark.parametrize(("stars", "vi", "en"), [
    (3, "cấp tỉnh", "provincial certificate"),
    (4, "cấp tỉnh", "provincial certificate"),
    (5, "cấp quốc gia", "national certificate"),
])
def test_the_badge_says_who_issued_the_rating(client, db, stars, vi, en):
    item = f.product(f"Sản phẩm {stars} sao", stars=stars)
    other = "cấp quốc gia" if stars < 5 else "cấp tỉnh"
    shown = badge(page(client, f"/products/{item.slug}"))
    assert vi in shown and other not in shown
    assert vi in badge(card(page(client, "/products"), item.name))
    assert en in badge(page(client, f"/products/{item.slug}?lang=en"))


def test_sample_rows_are_marked_on_cards_pages_api_and_by_a_banner(client, db):
    maker = f.producer("HTX Mẫu", sample=True)
    item = f.product("Mật ong mẫu", prod=maker, sample=True)
    real_maker = f.producer("Công ty CP Ngọc trai Hạ Long")
    real = f.product("Ngọc trai Akoya", stars=5, prod=real_maker, source="https://thuonghieuquangninh.gov.vn/?p=3978")

    listing = page(client, "/products")
    assert 'id="sample-banner"' in listing and "dữ liệu mẫu" in listing
    assert "Dữ liệu mẫu" in card(listing, item.name)
    assert "Dữ liệu mẫu" not in card(listing, real.name)
    assert "Sample data" in page(client, "/products?lang=en")

    product_page = page(client, f"/products/{item.slug}")
    assert product_page.count('class="badge sample-badge"') == 2  # the product and its producer
    assert 'class="badge sample-badge"' in page(client, f"/producers/{maker.slug}")
    real_page = page(client, f"/products/{real.slug}")
    assert 'id="source"' in real_page and "thuonghieuquangninh.gov.vn/?p=3978" in real_page

    api = client.get("/api/v1/products").get_json()["items"]
    assert {p["name"]: p["sample"] for p in api} == {"Mật ong mẫu": True, "Ngọc trai Akoya": False}
    detail = client.get(f"/api/v1/products/{real.id}").get_json()
    assert detail["sample"] is False and detail["source"] == "https://thuonghieuquangninh.gov.vn/?p=3978"
    assert client.get(f"/api/v1/producers/{maker.id}").get_json()["sample"] is True
    assert client.get(f"/api/v1/producers/{real_maker.id}").get_json()["sample"] is False


def test_no_banner_without_sample_data(client, db):
    f.product("Chả mực giã tay", stars=4)
    assert 'id="sample-banner"' not in page(client, "/products")
