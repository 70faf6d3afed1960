"""Shop pages: home, catalogue with filters, product and producer pages, error pages."""
from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest

from marketplace import create_app
from marketplace.catalog.models import ProductImage
from marketplace.timeutil import local_today, utcnow
from tests import factories as f


def text(response) -> str:
    return response.get_data(as_text=True)


def listed(page: str) -> list[str]:
    """Names of the product cards on a page, in order."""
    return re.findall(r'class="stretched-link[^"]*" href="[^"]+">([^<]+)</a>', page)


@pytest.fixture
def shop(db):
    """A small catalogue: public products of two producers and every kind of hidden one."""
    food = f.category("Thực phẩm", "Food")
    seafood = f.category("Thủy sản chế biến", "Processed seafood", parent=food)
    drinks = f.category("Đồ uống", "Beverages")
    ha_long = f.locality("Bãi Cháy", region="Hạ Long", kind="ward")
    van_don = f.locality("Vân Đồn", region="Vân Đồn", kind="special_zone")
    htx = f.producer("HTX Chả mực Hạ Long", loc=ha_long, description="Làm chả mực giã tay từ 1998.")
    dn = f.producer("Công ty Trà Ba Chẽ", kind="enterprise", loc=van_don)
    s = SimpleNamespace(food=food, seafood=seafood, drinks=drinks, htx=htx, dn=dn)
    s.cha_muc = f.product("Chả mực giã tay", price_vnd=350_000, stars=5, prod=htx, cat=seafood, sold_count=50)
    s.tra = f.product("Trà hoa vàng", price_vnd=125_000, stars=4, prod=dn, cat=drinks, stock=0, sold_count=10)
    s.ruou = f.product("Rượu ba kích", price_vnd=280_000, stars=3, prod=dn, cat=drinks, sold_count=30)
    s.mien = f.product("Miến dong Bình Liêu", price_vnd=60_000, stars=None, prod=htx, cat=food)
    # Hidden from shoppers:
    s.draft = f.product("Nháp chưa bán", status="draft", prod=htx)
    s.archived = f.product("Hàng ngừng bán", status="archived", prod=htx)
    pending_maker = f.producer("HTX Chưa duyệt", approved=False)
    s.unapproved = f.product("Sản phẩm cơ sở chưa duyệt", prod=pending_maker)
    suspended_maker = f.producer("HTX Bị đình chỉ", suspended_at=utcnow())
    s.suspended = f.product("Sản phẩm cơ sở bị đình chỉ", prod=suspended_maker)
    s.pending_maker, s.suspended_maker = pending_maker, suspended_maker
    # Public, but their certificates do not count:
    s.unverified = f.product("Nước mắm Cái Rồng", stars=4, verified=False, prod=htx, cat=food)
    s.expired = f.product("Sá sùng Vân Đồn", stars=5, prod=htx, cat=seafood,
                          expires_on=local_today() - timedelta(days=1))
    return s


PUBLIC = ("Chả mực giã tay", "Trà hoa vàng", "Rượu ba kích", "Miến dong Bình Liêu", "Nước mắm Cái Rồng",
          "Sá sùng Vân Đồn")
HIDDEN = ("Nháp chưa bán", "Hàng ngừng bán", "Sản phẩm cơ sở chưa duyệt", "Sản phẩm cơ sở bị đình chỉ")


# ---------------------------------------------------------------- home
def test_home_features_five_and_four_star_products_and_the_groups(web, shop):
    page = text(web.get("/"))
    assert "Chả mực giã tay" in page and "Trà hoa vàng" in page
    assert "Rượu ba kích" not in page  # 3 stars: in the catalogue, not featured
    assert "Sá sùng Vân Đồn" not in page  # expired 5-star certificate is not featured
    assert "Nước mắm Cái Rồng" not in page  # unverified claim
    for name in HIDDEN:
        assert name not in page
    assert 'href="/products?category=food"' in page and 'href="/products?category=beverages"' in page
    assert "Processed seafood" not in page  # sub-groups live on the catalogue page
    assert "Xem tất cả 6 sản phẩm" in page


# ---------------------------------------------------------------- catalogue
def test_catalogue_lists_public_products_only(web, shop):
    page = text(web.get("/products"))
    assert sorted(listed(page)) == sorted(PUBLIC)
    assert "Tìm thấy 6 sản phẩm" in page


@pytest.mark.parametrize("query, expected", [
    ("stars=5", ["Chả mực giã tay"]),
    ("stars=4&stars=5", ["Chả mực giã tay", "Trà hoa vàng"]),
    ("stars=4,5", ["Chả mực giã tay", "Trà hoa vàng"]),
    ("category=food", ["Chả mực giã tay", "Miến dong Bình Liêu", "Nước mắm Cái Rồng", "Sá sùng Vân Đồn"]),
    ("category=processed-seafood", ["Chả mực giã tay", "Sá sùng Vân Đồn"]),
    ("locality=van-don", ["Trà hoa vàng", "Rượu ba kích"]),
    ("locality=ha-long", ["Chả mực giã tay", "Miến dong Bình Liêu", "Nước mắm Cái Rồng", "Sá sùng Vân Đồn"]),
    ("price_min=100000&price_max=300.000", ["Trà hoa vàng", "Rượu ba kích", "Nước mắm Cái Rồng",
                                            "Sá sùng Vân Đồn"]),
    ("price_min=300000&price_max=100000", ["Trà hoa vàng", "Rượu ba kích", "Nước mắm Cái Rồng",
                                           "Sá sùng Vân Đồn"]),  # swapped bounds are read the right way round
    ("in_stock=1&stars=4", []),
    ("in_stock=1&locality=van-don", ["Rượu ba kích"]),
])
def test_catalogue_filters(web, shop, query, expected):
    assert sorted(listed(text(web.get("/products?" + query)))) == sorted(expected)


def test_catalogue_sorts(web, shop):
    by_price = listed(text(web.get("/products?sort=price_asc")))
    assert by_price[0] == "Miến dong Bình Liêu" and by_price[-1] == "Chả mực giã tay"
    assert listed(text(web.get("/products?sort=price_desc")))[0] == "Chả mực giã tay"
    assert listed(text(web.get("/products?sort=bestselling")))[:3] == ["Chả mực giã tay", "Rượu ba kích",
                                                                        "Trà hoa vàng"]
    assert listed(text(web.get("/products?sort=stars")))[:3] == ["Chả mực giã tay", "Trà hoa vàng", "Rượu ba kích"]


def test_catalogue_shows_facet_counts_over_the_whole_result(web, shop):
    page = text(web.get("/products?per_page=1"))
    assert len(listed(page)) == 1
    stars = dict(re.findall(r'id="stars-(\d)"[^>]*>\s*<label[^>]*>.*?\((\d+)\)', page, re.S))
    assert stars == {"5": "1", "4": "1", "3": "1"}
    assert re.search(r'value="food"\s*>\s*Thực phẩm \(4\)', page)
    assert re.search(r'value="processed-seafood"\s*>\s*&nbsp;&nbsp;– Thủy sản chế biến \(2\)', page)
    assert re.search(r'value="ha-long"\s*>\s*Toàn bộ Hạ Long \(4\)', page)


def test_catalogue_paginates_and_keeps_the_filters(web, shop):
    first = text(web.get("/products?per_page=2&sort=price_asc&in_stock=1"))
    second = text(web.get("/products?per_page=2&sort=price_asc&in_stock=1&page=2"))
    third = text(web.get("/products?per_page=2&sort=price_asc&in_stock=1&page=3"))
    seen = listed(first) + listed(second) + listed(third)
    assert len(seen) == 5 and len(set(seen)) == 5 and "Trà hoa vàng" not in seen
    assert "page=2" in first and "in_stock=1" in re.search(r'href="([^"]*page=2[^"]*)"', first).group(1)
    assert 'aria-current="page">2<' in second
    assert listed(text(web.get("/products?per_page=2&page=9"))) == []
    assert "Trang này nằm ngoài danh sách kết quả." in text(web.get("/products?per_page=2&page=9"))


def test_filters_in_force_can_be_removed_one_by_one(web, shop):
    page = text(web.get("/products?stars=4,5&category=food&locality=ha-long&price_min=100000&in_stock=1&page=2"))
    chips = dict(re.findall(r'<a class="badge rounded-pill[^"]*" href="([^"]+)"\s+title="[^"]*">([^<]+?) <span', page))
    chips = {label: href.replace("&amp;", "&") for href, label in chips.items()}
    assert chips == {
        "4 sao": "/products?stars=5&category=food&locality=ha-long&price_min=100000&in_stock=1",
        "5 sao": "/products?stars=4&category=food&locality=ha-long&price_min=100000&in_stock=1",
        "Thực phẩm": "/products?stars=4,5&locality=ha-long&price_min=100000&in_stock=1",
        "Toàn bộ Hạ Long": "/products?stars=4,5&category=food&price_min=100000&in_stock=1",
        "Từ 100.000\u00a0₫": "/products?stars=4,5&category=food&locality=ha-long&in_stock=1",
        "Chỉ hàng còn": "/products?stars=4,5&category=food&locality=ha-long&price_min=100000",
    }
    assert 'title="Bỏ bộ lọc này">Bãi Cháy <span' in text(web.get("/products?locality=bai-chay"))


@pytest.mark.parametrize("query", [
    "stars=abc", "stars=9", "page=-1", "page=abc", "page=99999999999999999999999", "per_page=0",
    "per_page=100000", "price_min=lots", "price_max=-5", "price_min=1e99", "in_stock=maybe", "sort=bogus",
    "category=no-such-group", "locality=atlantis", "producer=x", "producer=99999999999999999999",
    "q=" + "x" * 5000, "stars=&page=&sort=",
])
def test_bad_query_arguments_never_break_the_catalogue(web, shop, query):
    response = web.get("/products?" + query)
    assert response.status_code == 200
    page = text(response)
    if "=" in query and not query.startswith(("q=", "stars=&")):
        assert "Một số bộ lọc không hợp lệ nên đã được bỏ qua" in page
        assert query.split("=")[0] in page
        assert sorted(listed(page)) == sorted(PUBLIC)


def test_a_nul_in_the_catalogue_query_is_a_bad_request(web, shop):
    # No column holds a NUL: the request guard refuses it before the page runs (inputguard.py).
    assert web.get("/products?price_min=%00").status_code == 400



def test_did_you_mean_is_shown_when_the_search_suggests(app, ctx):
    from flask import render_template

    from marketplace.catalog.listing import BrowseParams, BrowseResult
    from marketplace.catalog.views import STAR_CHOICES, SORT_LABELS

    page = render_template("shop/products.html", result=BrowseResult([], 0, 1, 24, {"stars": {}, "category": {},
                                                                                     "locality": {}},
                                                                 suggestion="trà hoa vàng"),
                           params=BrowseParams(q="tra hoa vag"), ignored=[], groups=[], categories={}, regions=[],
                           star_choices=STAR_CHOICES, sort_labels=SORT_LABELS, page_numbers=[1],
                           page_url=lambda n: "/products")
    assert "Có phải bạn muốn tìm" in page
    assert 'href="/products?q=tr%C3%A0+hoa+v%C3%A0ng"' in page


# ---------------------------------------------------------------- product page
def test_product_page_shows_price_badge_certificate_producer_and_cart_form(web, shop):
    page = text(web.get(f"/products/{shop.cha_muc.slug}"))
    assert '<p class="fs-3 price mb-1" id="price">350.000\u00a0₫</p>' in page
    assert "OCOP 5★" in page
    cert = shop.cha_muc.certificate
    certificate = page[page.index('id="certificate"'):]
    assert cert.certificate_no in certificate and "Cấp quốc gia" in certificate
    assert cert.issued_on.strftime("%d/%m/%Y") in certificate and cert.expires_on.strftime("%d/%m/%Y") in certificate
    assert "đang còn hiệu lực" in certificate
    assert f'href="/producers/{shop.htx.slug}"' in page and "Hợp tác xã" in page
    assert "Còn hàng: 10" in page
    form = re.search(r'<form method="get" action="/cart/add".*?</form>', page, re.S).group(0)
    assert f'name="product_id" value="{shop.cha_muc.id}"' in form and 'name="quantity"' in form
    # No token on the page: it is the same for every anonymous visitor (and so cacheable).
    assert "csrf_token" not in page
    assert 'src="/static/js/cart.js?v=' in page
    assert 'src="/static/img/placeholder.svg?v=' in page


def test_adding_to_cart_without_javascript_goes_through_a_confirm_page(web, shop):
    product_page = web.get(f"/products/{shop.cha_muc.slug}")
    assert "Set-Cookie" not in product_page.headers

    # The product page's form is a GET: it shows a confirm page and changes nothing yet.
    confirm = web.get(f"/cart/add?product_id={shop.cha_muc.id}&quantity=2")
    assert confirm.status_code == 200
    page = text(confirm)
    assert "Chả mực giã tay" in page and "350.000\u00a0₫" in page
    form = re.search(r'<form method="post" action="/cart/add".*?</form>', page, re.S).group(0)
    assert 'name="csrf_token"' in form and f'name="product_id" value="{shop.cha_muc.id}"' in form
    assert 'value="2"' in form and 'name="next" value="/cart"' in form
    assert "Giỏ hàng của bạn đang trống." in text(web.get("/cart"))

    added = web.post("/cart/add", data={"product_id": shop.cha_muc.id, "quantity": 2, "next": "/cart"},
                     follow_redirects=True)
    assert added.request.path == "/cart"
    cart = text(added)
    assert "Đã thêm vào giỏ hàng." in cart and "Chả mực giã tay" in cart
    assert re.search(r'name="quantity" value="2"', cart)


def test_the_confirm_page_rejects_unknown_products_and_corrects_bad_quantities(web, shop):
    assert web.get("/cart/add?product_id=abc").status_code == 404
    assert web.get("/cart/add").status_code == 404
    assert web.get(f"/cart/add?product_id={shop.draft.id}").status_code == 404
    assert web.get("/cart/add?product_id=999999").status_code == 404

    page = text(web.get(f"/cart/add?product_id={shop.ruou.id}&quantity=0"))
    assert "Vui lòng chọn số lượng từ 1 đến 99." in page and 'name="quantity" id="quantity" value="1"' in page
    english = text(web.get(f"/cart/add?product_id={shop.ruou.id}&quantity=500&lang=en"))
    assert "Please choose a quantity from 1 to 99." in english and "Confirm: add to cart" in english


def test_the_confirm_page_of_a_sold_out_product_has_no_form(web, shop):
    page = text(web.get(f"/cart/add?product_id={shop.tra.id}"))
    assert "Hết hàng" in page and 'method="post" action="/cart/add"' not in page


def test_product_page_out_of_stock_has_no_cart_form(web, shop):
    page = text(web.get(f"/products/{shop.tra.slug}"))
    assert "Hết hàng" in page and 'action="/cart/add"' not in page
    assert "125.000\u00a0₫" in page


@pytest.mark.parametrize("name", ["unverified", "expired", "mien"])
def test_no_star_badge_without_a_live_certificate(web, shop, name):
    item = getattr(shop, name)
    page = text(web.get(f"/products/{item.slug}")).split('id="more-heading"')[0]  # not the other cards
    assert item.name in page
    assert "★" not in page and 'id="certificate"' not in page
    if item.certificate:
        assert item.certificate.certificate_no not in page


def test_a_certificate_close_to_expiry_says_so(web, db):
    item = f.product(stars=4, expires_on=local_today() + timedelta(days=20))
    page = text(web.get(f"/products/{item.slug}"))
    assert "Còn hiệu lực 20 ngày" in page
    assert "20 more days" in text(web.get(f"/products/{item.slug}?lang=en"))


def test_product_images_are_shown_in_order(web, shop, db):
    db.session.add_all([ProductImage(product_id=shop.cha_muc.id, path="products/1/b.webp", position=1, alt="Mặt sau"),
                        ProductImage(product_id=shop.cha_muc.id, path="products/1/a.webp", position=0, alt="Hộp",
                                     thumb_path="products/1/a-thumb.webp")])
    db.session.commit()
    page = text(web.get(f"/products/{shop.cha_muc.slug}"))
    assert page.index('src="/media/products/1/a.webp"') < page.index('src="/media/products/1/b.webp"')
    assert 'src="/media/products/1/a-thumb.webp"' in text(web.get("/products"))


@pytest.mark.parametrize("name", ["draft", "archived", "unapproved", "suspended"])
def test_non_public_products_are_404(web, shop, name):
    response = web.get(f"/products/{getattr(shop, name).slug}")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in text(response)


def test_unknown_product_is_a_friendly_404_in_both_languages(web, db):
    response = web.get("/products/khong-co")
    assert response.status_code == 404 and "Không tìm thấy trang" in text(response)
    response = web.get("/products/khong-co?lang=en")
    assert response.status_code == 404 and "Page not found" in text(response)
    assert '<html lang="en">' in text(response)


def test_every_page_names_its_icon_and_the_browsers_default_icon_url_answers(web, db):
    page = text(web.get("/"))
    assert '<link rel="icon" type="image/svg+xml" href="/static/img/favicon.svg?v=' in page
    for url in ("/favicon.ico", "/static/img/favicon.svg"):
        response = web.get(url)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.get_data().lstrip().startswith(b"<svg")


def test_a_product_card_links_to_its_product_once(web, shop):
    """The photo is covered by the name's link (stretched-link), not linked a second time."""
    page = text(web.get("/products"))
    assert page.count(f'href="/products/{shop.cha_muc.slug}"') == 1


# ---------------------------------------------------------------- producer page
def test_producer_page_lists_its_public_products(web, shop):
    page = text(web.get(f"/producers/{shop.htx.slug}"))
    assert "HTX Chả mực Hạ Long" in page and "Làm chả mực giã tay từ 1998." in page
    assert sorted(listed(page)) == sorted(["Chả mực giã tay", "Miến dong Bình Liêu", "Nước mắm Cái Rồng",
                                           "Sá sùng Vân Đồn"])
    assert "Bãi Cháy" in page


@pytest.mark.parametrize("name", ["pending_maker", "suspended_maker"])
def test_unapproved_or_suspended_producers_are_404(web, shop, name):
    assert web.get(f"/producers/{getattr(shop, name).slug}").status_code == 404


def test_producer_page_ignores_a_bad_page_number(web, shop):
    assert web.get(f"/producers/{shop.htx.slug}?page=zzz").status_code == 200


# ---------------------------------------------------------------- 500 page
@pytest.fixture
def failing_app(app):
    broken = create_app({"TESTING": False, "PROPAGATE_EXCEPTIONS": False,
                         "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                         "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})

    @broken.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    yield broken
    from marketplace.extensions import db as _db
    with broken.app_context():
        _db.engine.dispose()


def test_server_errors_show_a_500_page_in_both_languages(failing_app):
    web = failing_app.test_client()
    response = web.get("/boom")
    assert response.status_code == 500
    assert "Hệ thống của chúng tôi gặp sự cố" in text(response) and "kaboom" not in text(response)
    response = web.get("/boom?lang=en")
    assert response.status_code == 500 and "Something went wrong on our side" in text(response)


# ---------------------------------------------------------------- SQL queries
def test_catalogue_page_query_count_does_not_grow_with_page_size(web, db, query_counter):
    groups = [f.category("Thực phẩm", "Food"), f.category("Đồ uống", "Beverages")]
    places = [f.locality("Bãi Cháy", "Hạ Long"), f.locality("Cô Tô", "Cô Tô")]
    makers = [f.producer(loc=places[i % 2]) for i in range(6)]
    for i in range(45):
        item = f.product(prod=makers[i % 6], cat=groups[i % 2], stars=(3, 4, 5, None)[i % 4])
        if i % 3 == 0:
            db.session.add(ProductImage(product_id=item.id, path=f"products/{item.id}/a.webp"))
    db.session.commit()

    counts = {}
    for per_page in (5, 40):
        with query_counter() as q:
            page = text(web.get(f"/products?per_page={per_page}&sort=price_asc"))
        assert len(listed(page)) == per_page
        counts[per_page] = q.count
    # total and facets (one grouped scan), page ids, page rows, images, the groups and
    # localities of the sidebar, whether sample data is loaded (the banner)
    assert counts == {5: 7, 40: 7}, counts
