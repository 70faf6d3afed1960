"""GET /api/v1/products, /products/{id or slug}, /categories, /producers, /producers/{id}."""
from __future__ import annotations

import pytest

from marketplace.catalog.models import ProductImage
from marketplace.extensions import db as _db
from tests import factories as f
from tests.api.envelope import error_of

SUMMARY_KEYS = {"id", "slug", "name", "price_vnd", "unit", "ocop_stars", "category", "locality", "producer",
                "image_url", "in_stock", "for_sale", "sample"}


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["name"] for item in response.get_json()["items"]]


def test_the_list_shows_public_products_as_summaries(client, world):
    response = client.get("/api/v1/products")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"items", "total", "page", "per_page", "facets", "suggestion", "total_exact"}
    assert (body["total"], body["page"], body["per_page"], body["total_exact"]) == (5, 1, 20, True)
    # Newest first by default; drafts, archived products and producers not (or no longer) selling are absent.
    assert [i["name"] for i in body["items"]] == [
        "Trà hoa vàng Ba Chẽ", "Chả mực Hạ Long", "Miến dong Bình Liêu", "Sá sùng Vân Đồn", "Nước mắm Cái Rồng"]
    tea = body["items"][0]
    assert set(tea) == SUMMARY_KEYS
    assert tea == {
        "id": world.tea.id, "slug": world.tea.slug, "name": "Trà hoa vàng Ba Chẽ", "price_vnd": 250000,
        "unit": "hộp 500 g", "ocop_stars": 5,
        "category": {"slug": "beverages", "name_vi": "Đồ uống", "name_en": "Beverages"},
        "locality": {"slug": "ba-che", "name": "Ba Chẽ", "region": "Ba Chẽ", "region_slug": "ba-che"},
        "producer": {"id": world.coop.id, "slug": world.coop.slug, "name": "HTX Trà hoa vàng Ba Chẽ",
                     "kind": "cooperative"},
        "image_url": "http://localhost/media/products/tra-1.jpg",  # the first by position
        "in_stock": True, "for_sale": True, "sample": False,
    }
    by_name = {i["name"]: i for i in body["items"]}
    # Stars only with a verified, unexpired certificate; without one, not for sale.
    assert by_name["Sá sùng Vân Đồn"]["ocop_stars"] is None and by_name["Sá sùng Vân Đồn"]["for_sale"] is False
    assert by_name["Nước mắm Cái Rồng"]["ocop_stars"] is None and by_name["Nước mắm Cái Rồng"]["for_sale"] is False
    assert by_name["Miến dong Bình Liêu"]["in_stock"] is False
    assert by_name["Chả mực Hạ Long"]["image_url"] is None
    assert isinstance(by_name["Sá sùng Vân Đồn"]["price_vnd"], int)


def test_vietnamese_text_is_sent_unescaped(client, world):
    raw = client.get("/api/v1/products").get_data(as_text=True)
    assert "Trà hoa vàng Ba Chẽ" in raw and "\\u" not in raw


def test_pages(client, world):
    first = client.get("/api/v1/products?per_page=2").get_json()
    second = client.get("/api/v1/products?per_page=2&page=2").get_json()
    last = client.get("/api/v1/products?per_page=2&page=3").get_json()
    beyond = client.get("/api/v1/products?per_page=2&page=9").get_json()
    assert [len(p["items"]) for p in (first, second, last, beyond)] == [2, 2, 1, 0]
    assert {p["total"] for p in (first, second, last, beyond)} == {5}
    assert (second["page"], second["per_page"]) == (2, 2)
    seen = [i["id"] for p in (first, second, last) for i in p["items"]]
    assert len(set(seen)) == 5


def test_facets_count_the_whole_result_set_not_the_page(client, world):
    body = client.get("/api/v1/products?per_page=1").get_json()
    assert len(body["items"]) == 1
    assert body["facets"] == {
        "stars": {"3": 1, "4": 1, "5": 1},
        # a group counts its sub-groups: food = miến + nước mắm + (seafood: chả mực, sá sùng)
        "category": {"food": 4, "processed-seafood": 2, "beverages": 1},
        "locality": {"ba-che": 2, "bai-chay": 2, "hong-gai": 1},
    }
    filtered = client.get("/api/v1/products?locality=ha-long&per_page=1").get_json()
    assert filtered["facets"]["stars"] == {"3": 0, "4": 1, "5": 0}
    assert filtered["facets"]["locality"] == {"bai-chay": 2, "hong-gai": 1}


def test_facets_can_be_skipped(client, world):
    body = client.get("/api/v1/products?facets=false").get_json()
    assert body["facets"] is None and body["total"] == 5


@pytest.mark.parametrize("sort, expected", [
    ("newest", ["Trà hoa vàng Ba Chẽ", "Chả mực Hạ Long", "Miến dong Bình Liêu", "Sá sùng Vân Đồn",
                "Nước mắm Cái Rồng"]),
    ("price_asc", ["Miến dong Bình Liêu", "Nước mắm Cái Rồng", "Trà hoa vàng Ba Chẽ", "Chả mực Hạ Long",
                   "Sá sùng Vân Đồn"]),
    ("price_desc", ["Sá sùng Vân Đồn", "Chả mực Hạ Long", "Trà hoa vàng Ba Chẽ", "Nước mắm Cái Rồng",
                    "Miến dong Bình Liêu"]),
    # public stars first (5, 4, 3), then products without stars by units sold
    ("stars", ["Trà hoa vàng Ba Chẽ", "Chả mực Hạ Long", "Miến dong Bình Liêu", "Nước mắm Cái Rồng",
               "Sá sùng Vân Đồn"]),
    ("bestselling", ["Chả mực Hạ Long", "Miến dong Bình Liêu", "Nước mắm Cái Rồng", "Trà hoa vàng Ba Chẽ",
                     "Sá sùng Vân Đồn"]),
    # relevance needs a search text; without one the default order applies
    ("relevance", ["Trà hoa vàng Ba Chẽ", "Chả mực Hạ Long", "Miến dong Bình Liêu", "Sá sùng Vân Đồn",
                   "Nước mắm Cái Rồng"]),
])
def test_each_sort_order(client, world, sort, expected):
    assert names(client.get(f"/api/v1/products?sort={sort}")) == expected


@pytest.mark.parametrize("query, expected", [
    ("stars=5", {"Trà hoa vàng Ba Chẽ"}),
    ("stars=4,5", {"Trà hoa vàng Ba Chẽ", "Chả mực Hạ Long"}),
    ("stars=3", {"Miến dong Bình Liêu"}),
    ("category=food", {"Chả mực Hạ Long", "Miến dong Bình Liêu", "Sá sùng Vân Đồn", "Nước mắm Cái Rồng"}),
    ("category=processed-seafood", {"Chả mực Hạ Long", "Sá sùng Vân Đồn"}),
    ("category=beverages", {"Trà hoa vàng Ba Chẽ"}),
    ("category=no-such-group", set()),
    ("locality=ba-che", {"Trà hoa vàng Ba Chẽ", "Miến dong Bình Liêu"}),
    ("locality=bai-chay", {"Chả mực Hạ Long", "Nước mắm Cái Rồng"}),
    ("locality=ha-long", {"Chả mực Hạ Long", "Nước mắm Cái Rồng", "Sá sùng Vân Đồn"}),  # a region
    ("price_min=90000&price_max=350000", {"Trà hoa vàng Ba Chẽ", "Chả mực Hạ Long", "Nước mắm Cái Rồng"}),
    ("price_min=1000000", {"Sá sùng Vân Đồn"}),
    ("price_max=60000", {"Miến dong Bình Liêu"}),
    ("in_stock=false", {"Miến dong Bình Liêu"}),
    ("in_stock=true&stars=3,4", {"Chả mực Hạ Long"}),
    ("category=food&locality=ba-che&stars=3", {"Miến dong Bình Liêu"}),
])
def test_filters(client, world, query, expected):
    body = client.get(f"/api/v1/products?{query}").get_json()
    assert {i["name"] for i in body["items"]} == expected
    assert body["total"] == len(expected)


def test_producer_filter(client, world):
    assert set(names(client.get(f"/api/v1/products?producer={world.company.id}"))) == {
        "Chả mực Hạ Long", "Nước mắm Cái Rồng"}
    assert names(client.get("/api/v1/products?producer=999999")) == []


@pytest.mark.parametrize("query, field", [
    ("stars=9", "stars"),
    ("stars=4,x", "stars"),
    ("sort=bogus", "sort"),
    ("per_page=500", "per_page"),
    ("per_page=0", "per_page"),
    ("page=0", "page"),
    ("page=abc", "page"),
    ("price_min=abc", "price_min"),
    ("price_min=-1", "price_min"),
    ("price_max=99999999999999999999999", "price_max"),
    ("price_min=500&price_max=100", "price_max"),
    ("in_stock=maybe", "in_stock"),
    ("producer=abc", "producer"),
    ("producer=99999999999999999999", "producer"),
])
def test_invalid_parameters_are_422_with_fields(client, world, query, field):
    error = error_of(client.get(f"/api/v1/products?{query}"), 422)
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == [field]
    assert all(isinstance(m, str) and m for m in error["fields"][field])


def test_parameter_messages_speak_the_language_asked_for(client, world):
    error = error_of(client.get("/api/v1/products?stars=9&per_page=500"), 422)
    assert error["fields"]["stars"] == ["Số sao OCOP là 3, 4 hoặc 5 (ví dụ 4,5)"]
    assert error["fields"]["per_page"] == ["per_page phải từ 1 đến 100"]
    error = error_of(client.get("/api/v1/products?stars=9&per_page=500", headers={"Accept-Language": "en"}), 422)
    assert error["fields"]["stars"] == ["OCOP stars are 3, 4 or 5 (e.g. 4,5)"]
    assert error["fields"]["per_page"] == ["per_page must be between 1 and 100"]


def test_listing_queries_do_not_grow_with_the_page_size(client, db, query_counter):
    localities = [f.locality(f"Xã Thử {n}", f"Vùng {n % 3}") for n in range(6)]
    cats = [f.category("Thực phẩm", "Food"), f.category("Đồ uống", "Beverages")]
    for n in range(30):
        producer = f.producer(loc=localities[n % 6])
        product = f.product(prod=producer, cat=cats[n % 2], stars=(3, 4, 5, None)[n % 4])
        db.session.add(ProductImage(product_id=product.id, path=f"p/{n}.jpg", position=0))
    db.session.commit()

    counts = []
    for per_page in (2, 30):
        with query_counter() as q:
            response = client.get(f"/api/v1/products?per_page={per_page}")
        assert len(response.get_json()["items"]) == per_page
        counts.append(q.count)
    assert counts[0] == counts[1], counts
    assert counts[1] <= 8, counts  # count, page, images, facets (stars, categories, groups, localities)


# --- one product ------------------------------------------------------------------------

def test_a_full_product_by_id_and_by_slug(client, world):
    by_id = client.get(f"/api/v1/products/{world.tea.id}")
    by_slug = client.get(f"/api/v1/products/{world.tea.slug}")
    assert by_id.status_code == by_slug.status_code == 200
    product = by_id.get_json()
    assert product == by_slug.get_json()
    assert set(product) == SUMMARY_KEYS | {"description", "stock", "images", "certification", "traceability_url",
                                           "source"}
    assert product["description"] == "Trà hoa vàng sấy khô"
    assert product["stock"] == 10
    assert product["images"] == ["http://localhost/media/products/tra-1.jpg",
                                 "http://localhost/media/products/tra-2.jpg"]
    cert = world.tea.certificate
    assert product["certification"] == {
        "stars": 5, "certificate_no": cert.certificate_no, "level": "national",
        "issued_on": cert.issued_on.isoformat(), "expires_on": cert.expires_on.isoformat(),
        "verified": True, "status": "verified",
    }
    assert product["traceability_url"].startswith("http://localhost/")
    assert product["traceability_url"].endswith(world.tea.slug)


def test_certification_states(client, world):
    pending = client.get(f"/api/v1/products/{world.sa_sung.id}").get_json()
    assert pending["ocop_stars"] is None
    assert (pending["certification"]["stars"], pending["certification"]["verified"],
            pending["certification"]["status"]) == (5, False, "pending")
    expired = client.get(f"/api/v1/products/{world.expired.id}").get_json()
    assert expired["ocop_stars"] is None and expired["certification"]["status"] == "expired"
    uncertified = f.product("Bánh gai", stars=None, prod=world.coop, cat=world.food)
    assert client.get(f"/api/v1/products/{uncertified.slug}").get_json()["certification"] is None


def test_unknown_and_non_public_products_are_404(client, world):
    for ref in ("999999", "khong-co-san-pham-nay", "99999999999999999999999", *(p.slug for p in world.hidden),
                *(str(p.id) for p in world.hidden)):
        error = error_of(client.get(f"/api/v1/products/{ref}"), 404)
        assert error["code"] == "not_found"


# --- categories and producers -------------------------------------------------------------

def test_categories_are_groups_with_sub_groups(client, world):
    response = client.get("/api/v1/categories")
    assert response.status_code == 200
    groups = response.get_json()["items"]
    assert [g["slug"] for g in groups] == ["food", "beverages"]
    food = groups[0]
    assert (food["name_vi"], food["name_en"], food["product_count"]) == ("Thực phẩm", "Food", 4)
    assert food["children"] == [{"id": world.seafood.id, "slug": "processed-seafood", "name_vi": "Thủy sản chế biến",
                                 "name_en": "Processed seafood", "product_count": 2}]
    assert groups[1]["children"] == [] and groups[1]["product_count"] == 1


def test_producers_lists_only_producers_that_sell(client, world):
    response = client.get("/api/v1/producers")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 20)
    assert [p["name"] for p in body["items"]] == [
        "Công ty Chả mực Hạ Long", "HTX Trà hoa vàng Ba Chẽ", "Hộ kinh doanh Sá sùng"]
    company = body["items"][0]
    assert company == {
        "id": world.company.id, "slug": world.company.slug, "name": "Công ty Chả mực Hạ Long", "kind": "enterprise",
        "locality": {"slug": "bai-chay", "name": "Bãi Cháy", "region": "Hạ Long", "region_slug": "ha-long"},
        "address": "Thôn 1", "phone": "0912345678", "product_count": 2, "sample": False,
    }
    page2 = client.get("/api/v1/producers?per_page=2&page=2").get_json()
    assert [p["name"] for p in page2["items"]] == ["Hộ kinh doanh Sá sùng"] and page2["total"] == 3
    assert [p["name"] for p in client.get("/api/v1/producers?kind=cooperative").get_json()["items"]] == [
        "HTX Trà hoa vàng Ba Chẽ"]
    assert client.get("/api/v1/producers?locality=ha-long").get_json()["total"] == 2
    assert list(error_of(client.get("/api/v1/producers?kind=shop"), 422)["fields"]) == ["kind"]
    assert list(error_of(client.get("/api/v1/producers?per_page=101"), 422)["fields"]) == ["per_page"]


def test_a_producer_with_its_public_products(client, world):
    response = client.get(f"/api/v1/producers/{world.coop.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert client.get(f"/api/v1/producers/{world.coop.slug}").get_json() == body
    assert body["name"] == "HTX Trà hoa vàng Ba Chẽ" and body["kind"] == "cooperative"
    assert body["product_count"] == 2
    assert "description" in body
    assert [p["name"] for p in body["products"]] == ["Trà hoa vàng Ba Chẽ", "Miến dong Bình Liêu"]
    assert set(body["products"][0]) == SUMMARY_KEYS


def test_unknown_or_not_selling_producers_are_404(client, world):
    hidden_producers = {p.producer_id for p in world.hidden[2:]}
    slugs = [p.producer.slug for p in world.hidden[2:]]
    for ref in ("999999", "99999999999999999999", "khong-co", *map(str, hidden_producers), *slugs):
        assert error_of(client.get(f"/api/v1/producers/{ref}"), 404)["code"] == "not_found"


def test_producer_and_category_queries_do_not_grow_with_the_data(client, db, query_counter):
    food = f.category("Thực phẩm", "Food")
    for n in range(12):
        sub = f.category(f"Nhóm {n}", f"Sub group {n}", parent=food)
        f.product(cat=sub, prod=f.producer(loc=f.locality(f"Phường {n}", f"Vùng {n % 4}")))
    counts = []
    for per_page in (2, 12):
        with query_counter() as q:
            body = client.get(f"/api/v1/producers?per_page={per_page}").get_json()
        assert len(body["items"]) == per_page and {p["product_count"] for p in body["items"]} == {1}
        counts.append(q.count)
    assert counts == [2, 2]  # count, page (locality and product count in the same query)
    with query_counter() as q:
        groups = client.get("/api/v1/categories").get_json()["items"]
    assert len(groups[0]["children"]) == 12 and groups[0]["product_count"] == 12
    assert q.count == 2


def test_a_page_number_past_any_real_offset_is_refused_not_a_crash(client):
    """Found by the API fuzzer: a 30-digit page overflowed SQLite's INTEGER on /producers."""
    for path in ("/api/v1/producers", "/api/v1/products"):
        response = client.get(path, query_string={"page": "35220354845634278401828192256"})
        assert response.status_code == 422
        assert "page" in response.get_json()["error"]["fields"]
