"""Orders people can follow: "My orders" as cards with tabs by stage, one wording and colour per
status on every page, "buy again", and a cancel that asks first."""
from __future__ import annotations

import re

from tests import factories as f
from tests.factories import place_order
from marketplace.orders import services
from marketplace.timeutil import utcnow


def _badge(html: str, label: str) -> str:
    """The colour class of the badge reading `label` (fails when there is none)."""
    match = re.search(r'<span class="badge text-bg-(\w+)[^"]*">' + re.escape(label) + "</span>", html)
    assert match, f"no badge {label!r}: " + re.sub(r"\s+", " ", html[html.find("<main"):])[:2500]
    return match.group(1)


def _orders_in_every_stage(shopper):
    """One order per tab of "My orders": unpaid, paid (in hand), shipped, delivered, cancelled."""
    honey = f.product("Mật ong rừng Ba Chẽ", price_vnd=250_000, stock=50)
    tea = f.product("Trà hoa vàng", price_vnd=350_000, stock=50)
    unpaid = place_order([(honey, 1)], user=shopper)
    in_hand, shipped, delivered, cancelled = (place_order([(honey, 1), (tea, 2)], user=shopper) for _ in range(4))
    for order in (in_hand, shipped, delivered):
        services.mark_order_paid(order, utcnow())
    for order, target in ((shipped, "shipped"), (delivered, "delivered")):
        for part in order.parts:
            services.update_part_status(part, "confirmed", "seller")
            if target in ("shipped", "delivered"):
                services.update_part_status(part, "shipped", "seller", carrier="ghn", tracking_number="GHN123456")
            if target == "delivered":
                services.update_part_status(part, "delivered", "seller")
    services.cancel_order(cancelled, "shopper")
    return {"awaiting_payment": unpaid.code, "processing": in_hand.code, "shipping": shipped.code,
            "completed": delivered.code, "cancelled": cancelled.code}


def test_my_orders_are_cards_with_products_thumbnails_tabs_and_buy_again(db, client):
    shopper = f.user(email="lan@example.vn")
    codes = _orders_in_every_stage(shopper)
    f.login(client, shopper.email)

    page = client.get("/orders").get_data(as_text=True)
    for label in ("Chờ thanh toán", "Đang xử lý", "Đang giao", "Hoàn thành", "Đã huỷ"):
        assert re.search(rf">{label} <span class=\"badge[^>]*>1</span></a>", page), label
    assert page.count('class="card mb-3 shadow-sm"') == 5
    assert "Mật ong rừng Ba Chẽ" in page and "Trà hoa vàng" in page
    assert page.count('src="/static/img/placeholder.svg?v=') == 9  # a picture for every line
    assert page.count(">Mua lại</button>") == 5
    assert "<table" not in page

    for stage, code in codes.items():
        tab = client.get(f"/orders?stage={stage}").get_data(as_text=True)
        assert set(re.findall(r'class="font-monospace fw-semibold">([A-Z0-9-]+)<', tab)) == {code}, stage
    assert client.get("/orders?stage=nonsense").status_code == 200  # an unknown tab shows them all


def test_buy_again_puts_the_same_products_back_in_the_cart(db, client):
    shopper = f.user(email="lan@example.vn")
    honey = f.product("Mật ong rừng", price_vnd=250_000, stock=5)
    gone = f.product("Sá sùng khô", price_vnd=900_000, stock=5)
    order = place_order([(honey, 2), (gone, 1)], user=shopper)
    gone.stock = 0
    db.session.commit()
    f.login(client, shopper.email)

    response = client.post(f"/orders/{order.code}/buy-again")
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart")
    cart = client.get("/api/v1/cart").get_json()
    assert [(line["product_id"], line["quantity"]) for g in cart["groups"] for line in g["items"]] == [(honey.id, 2)]
    assert "Sá sùng khô" in client.get("/cart").get_data(as_text=True)  # told what could not be added

    other = f.user(email="khac@example.vn")
    f.login(client, other.email)
    assert client.post(f"/orders/{order.code}/buy-again").status_code == 404


def test_a_part_of_an_unpaid_order_reads_awaiting_payment(db, client):
    shopper = f.user(email="lan@example.vn")
    order = place_order([(f.product("Mật ong rừng"), 1), (f.product("Trà hoa vàng"), 1)], user=shopper)
    f.login(client, shopper.email)

    page = client.get(f"/orders/{order.code}").get_data(as_text=True)
    assert "Đang chuẩn bị" not in page and "Chờ xác nhận" not in page
    assert page.count(">Chờ thanh toán</span>") == 3  # the order and its two parts
    assert 'data-confirm="Huỷ đơn hàng ' in page  # cancelling asks first (static/js/site.js)


def test_shopper_seller_and_tracking_pages_say_a_status_the_same_way(db, client):
    shopper = f.user(email="lan@example.vn")
    order = place_order([(f.product("Mật ong rừng"), 1)], user=shopper)
    services.mark_order_paid(order, utcnow())
    part = order.parts[0]
    services.update_part_status(part, "confirmed", "seller")
    services.update_part_status(part, "shipped", "seller", carrier="ghn", tracking_number="GHN123456")
    seller = f.user("seller", email="ban@example.vn", producer_id=part.producer_id)

    f.login(client, shopper.email)
    mine = client.get(f"/orders/{order.code}").get_data(as_text=True)
    listed = client.get("/orders").get_data(as_text=True)
    tracked = client.post("/track", data={"code": order.code, "phone": order.contact_phone}).get_data(as_text=True)
    f.login(client, seller.email)
    sellers = client.get(f"/seller/orders/{part.id}").get_data(as_text=True)
    seller_list = client.get("/seller/orders").get_data(as_text=True)

    for html in (mine, tracked, sellers, seller_list):
        assert _badge(html, "Đang giao") == "primary", html[html.find("<main"):][:3000]
    assert _badge(mine, "Đang xử lý") == _badge(listed, "Đang xử lý") == _badge(tracked, "Đang xử lý") == "info"


def test_my_orders_costs_the_same_queries_for_two_orders_or_twenty(db, client, query_counter):
    shopper = f.user(email="lan@example.vn")
    products = [f.product(f"Sản phẩm {n}", stock=100) for n in range(3)]
    place_order([(products[0], 1), (products[1], 1)], user=shopper)
    place_order([(products[2], 1)], user=shopper)
    f.login(client, shopper.email)
    client.get("/orders")
    with query_counter() as small:
        assert client.get("/orders").status_code == 200
    for n in range(18):
        place_order([(products[n % 3], 1), (f.product(f"Thêm {n}"), 1)], user=shopper)
    with query_counter() as large:
        assert client.get("/orders").status_code == 200
    assert large.count == small.count <= 12, large.statements
