"""A seller of a multi-producer order sees its own part, and only its part's money."""
from __future__ import annotations

from marketplace.money import format_vnd_for as format_vnd
from tests import factories


def _two_producer_order(db):
    tea = factories.product("Trà hoa vàng", price_vnd=300_000, prod=factories.producer("HTX Trà Ba Chẽ"))
    oyster = factories.product("Hàu sữa", price_vnd=1_250_000, prod=factories.producer("HTX Hàu Vân Đồn"))
    order = factories.paid_order([(tea, 1), (oyster, 2)])
    seller = factories.user("seller", producer_id=tea.producer_id)
    return order, seller


def test_seller_api_shows_only_its_part_totals(db, client):
    order, seller = _two_producer_order(db)
    tea_part = next(p for p in order.parts if p.producer_id == seller.producer_id)
    factories.login_as(client, seller)
    body = client.get(f"/api/v1/orders/{order.code}").get_json()
    assert [p["id"] for p in body["parts"]] == [tea_part.id]
    assert body["subtotal_vnd"] == 300_000
    assert body["total_vnd"] == tea_part.total_vnd < order.total_vnd
    assert body["payment"]["amount_vnd"] == tea_part.total_vnd
    assert "Hàu sữa" not in str(body)


def test_seller_page_shows_only_its_part_totals(db, web):
    order, seller = _two_producer_order(db)
    tea_part = next(p for p in order.parts if p.producer_id == seller.producer_id)
    factories.login_as(web, seller)
    page = web.get(f"/orders/{order.code}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert format_vnd(tea_part.total_vnd) in html
    assert format_vnd(order.total_vnd) not in html
    assert format_vnd(order.subtotal_vnd) not in html
    assert "Hàu sữa" not in html


def test_admin_sees_the_whole_order(db, client):
    order, _seller = _two_producer_order(db)
    factories.login_as(client, factories.user("admin"))
    body = client.get(f"/api/v1/orders/{order.code}").get_json()
    assert body["total_vnd"] == body["payment"]["amount_vnd"] == order.total_vnd
    assert body["subtotal_vnd"] == 300_000 + 2 * 1_250_000
    assert len(body["parts"]) == 2
