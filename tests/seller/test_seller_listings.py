"""Listings: create, edit, archive; drafts are not public; the API mirrors the portal."""
from __future__ import annotations

import sqlalchemy as sa

from tests import factories
from marketplace.audit import AuditEntry
from marketplace.catalog.models import Product

FORM = {"name": "Trà hoa vàng Ba Chẽ", "unit": "hộp 100 g", "price_vnd": "350.000", "stock": "25",
        "status": "draft", "description": "Trà hoa vàng sấy lạnh"}


def test_a_seller_creates_a_draft_listing_in_the_portal(seller_client, seller, db):
    cat = factories.category("Đồ uống", "Drinks")
    response = seller_client.post("/seller/products/new", data={**FORM, "category_id": cat.id})
    assert response.status_code == 302
    product = db.session.scalar(sa.select(Product))
    assert (product.name, product.price_vnd, product.stock, product.status, product.producer_id, product.category_id) == (
        "Trà hoa vàng Ba Chẽ", 350_000, 25, "draft", seller.producer.id, cat.id)
    assert product.slug == "tra-hoa-vang-ba-che"
    assert not product.is_public
    assert db.session.scalar(sa.select(AuditEntry.action)) == "product.created"
    page = seller_client.get(f"/seller/products/{product.id}").get_data(as_text=True)
    assert "Trà hoa vàng Ba Chẽ" in page and "350000" in page


def test_invalid_listing_fields_are_reported_and_nothing_is_written(seller_client, db):
    factories.category()
    response = seller_client.post("/seller/products/new", data={
        "name": "", "unit": "", "price_vnd": "12.5", "stock": "-3", "category_id": "999", "status": "sold"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    for message in ("Tên sản phẩm cần từ 2 đến 200 ký tự", "Vui lòng nhập đơn vị bán",
                    "Giá (đồng) phải là số nguyên", "Tồn kho phải từ 0 đến 1.000.000",
                    "Chọn nhóm sản phẩm", "Trạng thái phải là draft, active hoặc archived"):
        assert message in body
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 0


def test_editing_and_archiving_a_listing(seller_client, seller, db):
    product = factories.product("Nước mắm Cái Rồng", prod=seller.producer, status="draft")
    response = seller_client.post(f"/seller/products/{product.id}", data={
        "name": "Nước mắm Cái Rồng 40 độ đạm", "unit": "chai 500 ml", "price_vnd": "180000", "stock": "40",
        "stock_seen": str(product.stock), "status": "active", "category_id": product.category_id,
        "description": "Cá cơm Vân Đồn"})
    assert response.status_code == 302
    db.session.refresh(product)
    assert (product.name, product.price_vnd, product.stock, product.status) == (
        "Nước mắm Cái Rồng 40 độ đạm", 180_000, 40, "active")
    assert product.is_public

    assert seller_client.post(f"/seller/products/{product.id}/archive").status_code == 302
    db.session.refresh(product)
    assert product.status == "archived" and not product.is_public
    listed = seller_client.get("/seller/products").get_data(as_text=True)
    assert "Nước mắm Cái Rồng 40 độ đạm" not in listed
    assert "Nước mắm Cái Rồng 40 độ đạm" in seller_client.get("/seller/products?status=archived").get_data(as_text=True)


def test_an_unapproved_producers_active_listing_is_not_public(db):
    producer = factories.producer(approved=False)
    product = factories.product(prod=producer, status="active")
    assert not product.is_public


def test_the_api_creates_reads_patches_and_archives_listings(client, seller, db):
    cat = factories.category("Đồ uống", "Drinks")
    factories.login_as(client, seller.user)
    created = client.post("/api/v1/seller/products", json={
        "name": "Rượu ba kích", "unit": "chai 500 ml", "price_vnd": 250000, "stock": 12, "category": "drinks"})
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["name"], body["price_vnd"], body["stock"], body["status"], body["category"], body["public"]) == (
        "Rượu ba kích", 250000, 12, "draft", "drinks", False)
    assert body["images"] == [] and body["certification"] is None and body["created_at"].endswith("+07:00")

    pid = body["id"]
    etag = client.get(f"/api/v1/seller/products/{pid}").headers["ETag"]
    patched = client.patch(f"/api/v1/seller/products/{pid}", json={"stock": 3, "status": "active"},
                           headers={"If-Match": etag})
    assert patched.status_code == 200 and patched.json["stock"] == 3 and patched.json["public"] is True
    assert patched.json["price_vnd"] == 250000  # untouched fields stay

    listing = client.get("/api/v1/seller/products?per_page=5").json
    assert (listing["total"], listing["page"], listing["per_page"]) == (1, 1, 5)
    assert listing["items"][0]["id"] == pid

    archived = client.delete(f"/api/v1/seller/products/{pid}")
    assert archived.status_code == 200 and archived.json["status"] == "archived"
    assert client.get("/api/v1/seller/products").json["total"] == 0
    assert client.get("/api/v1/seller/products?status=archived").json["total"] == 1
    assert db.session.get(Product, pid) is not None  # archived, never deleted


def test_api_validation_errors_use_the_envelope_in_the_asked_language(client, seller, db):
    factories.category()
    factories.login_as(client, seller.user)
    response = client.post("/api/v1/seller/products", json={"name": "X", "price_vnd": 1.5, "stock": True,
                                                            "unit": "hộp", "category": "nope"})
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["price_vnd"] == ["Giá (đồng) phải là số nguyên"]
    assert error["fields"]["stock"] == ["Tồn kho phải là số nguyên"]
    assert error["fields"]["category"] == ["Không có nhóm sản phẩm “nope”"]
    english = client.post("/api/v1/seller/products?lang=en",
                          json={"name": "X", "price_vnd": 100, "stock": 1_000_001, "unit": "hộp", "category": ""})
    assert english.json["error"]["fields"] == {
        "name": ["Product name needs 2 to 200 characters"],
        "price_vnd": ["Price (VND) must be between 1,000 and 99,999,999"],
        "stock": ["Stock must be between 0 and 1,000,000"], "category": ["Choose a product category"]}
    assert "name" in error["fields"]
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 0


def test_a_patch_with_one_bad_part_writes_nothing(client, seller, db):
    product = factories.product(prod=seller.producer, stock=5, stars=None)
    factories.login_as(client, seller.user)
    response = client.patch(f"/api/v1/seller/products/{product.id}", json={
        "stock": 50, "certification": {"stars": 4, "certificate_no": "", "issued_on": "2024-02-30"}})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"certification.certificate_no", "certification.issued_on"}
    db.session.refresh(product)
    assert product.stock == 5 and product.certificate is None


def test_the_seller_api_accepts_bearer_tokens_and_refuses_shoppers(client, seller, db):
    from marketplace.accounts.services import issue_token

    factories.product(prod=seller.producer)
    token = issue_token(seller.user, "kho")
    response = client.get("/api/v1/seller/products", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json["total"] == 1
    assert client.get("/api/v1/seller/products").status_code == 401
    shopper_token = issue_token(factories.user("shopper"))
    forbidden = client.get("/api/v1/seller/products", headers={"Authorization": f"Bearer {shopper_token}"})
    assert forbidden.status_code == 403 and forbidden.json["error"]["code"] == "forbidden"


def test_the_seller_product_list_takes_a_constant_number_of_queries(client, seller, db, query_counter):
    factories.login_as(client, seller.user)
    factories.product(prod=seller.producer)
    with query_counter() as few:
        assert client.get("/api/v1/seller/products").status_code == 200
    with query_counter() as few_web:
        assert client.get("/seller/products").status_code == 200
    for _ in range(12):
        factories.product(prod=seller.producer)
    with query_counter() as many:
        assert client.get("/api/v1/seller/products?per_page=50").json["total"] == 13
    with query_counter() as many_web:
        assert client.get("/seller/products").status_code == 200
    # user, count, page of products (with category, producer, certificate joined), their photos
    assert many.count == few.count == 4
    assert many_web.count == few_web.count == 5  # and the header's cart count
