"""What a Vietnamese e-commerce site must show (Decree 52/2013/NĐ-CP as amended by Decree
85/2021/NĐ-CP): the operator's particulars and the MOIT notice in every page's footer, all
from settings; order tracking, seller sign-up, shipping, returns and privacy pages; a hotline."""
from __future__ import annotations

import re

import pytest

OPERATOR = {"OPERATOR_NAME": "Công ty TNHH Chợ Phiên Hạ Long", "OPERATOR_ADDRESS": "Số 8 Lê Thánh Tông, Hạ Long",
            "OPERATOR_TAX_CODE": "5701234567", "OPERATOR_EMAIL": "cskh@chophien.vn",
            "OPERATOR_HOTLINE": "1900 6868", "MOIT_NOTICE_URL": "http://online.gov.vn/Home/WebDetails/12345",
            "MOIT_NOTICE_KIND": "notified"}


@pytest.fixture
def operator(app):
    saved = {key: app.config[key] for key in OPERATOR}
    app.config.update(OPERATOR)
    yield
    app.config.update(saved)


@pytest.mark.parametrize("path", ["/", "/products", "/cart", "/track", "/login", "/about", "/policies/privacy"])
def test_every_page_names_the_operator_in_its_footer(db, client, operator, path):
    html = client.get(path).get_data(as_text=True)
    footer = html[html.index("<footer"):html.index("</footer>")]
    for value in ("Công ty TNHH Chợ Phiên Hạ Long", "Số 8 Lê Thánh Tông, Hạ Long", "5701234567", "cskh@chophien.vn"):
        assert value in footer, value
    assert 'href="tel:19006868"' in footer and "Đường dây nóng" in footer
    assert 'href="http://online.gov.vn/Home/WebDetails/12345"' in footer and "Đã thông báo Bộ Công Thương" in footer
    for link in ("/track", "/seller/join", "/policies/shipping", "/policies/returns", "/policies/privacy",
                 "/policies/rules", "/about"):
        assert f'href="{link}"' in footer, link


@pytest.mark.parametrize("name, says", [
    ("shipping", "Phí vận chuyển là 30.000\u00a0₫ cho mỗi nhà sản xuất"),
    ("returns", "gọi đường dây nóng 1900 6868"),
    ("privacy", "Nghị định 13/2023/NĐ-CP"),
    ("rules", "Khiếu nại gửi tới đường dây nóng 1900 6868"),
])
def test_the_policies_are_pages_in_vietnamese_first(db, client, operator, name, says):
    response = client.get(f"/policies/{name}")
    assert response.status_code == 200 and says in response.get_data(as_text=True)
    english = client.get(f"/policies/{name}?lang=en").get_data(as_text=True)
    assert re.search(r"<h1[^>]*>(Shipping policy|Returns and refunds|Privacy policy|Operating rules)</h1>", english)


def test_an_unknown_policy_is_404(db, client):
    assert client.get("/policies/nothing").status_code == 404


def test_the_about_page_gives_the_particulars(db, client, operator):
    html = client.get("/about").get_data(as_text=True)
    main = html[html.index("<main"):html.index("</main>")]
    assert "Đơn vị vận hành" in main and "Công ty TNHH Chợ Phiên Hạ Long" in main and "5701234567" in main


def test_a_marketplace_of_many_sellers_says_it_is_registered_with_the_ministry(app, db, client, operator):
    """A platform where many producers sell registers with the Ministry of Industry and Trade
    (a shop selling only its own goods notifies it): the default wording says so."""
    app.config["MOIT_NOTICE_KIND"] = "registered"
    html = client.get("/about").get_data(as_text=True)
    assert "Đã đăng ký Bộ Công Thương" in html and "Đã thông báo" not in html
