"""A new listing takes its photos and OCOP certificate in its first save, in one transaction;
the category list groups the sub-groups under the six OCOP groups."""
from __future__ import annotations

import io
import re

import sqlalchemy as sa

from tests import factories
from marketplace.catalog.models import Certificate, Product, ProductImage
from seller_samples import image_bytes
from tests.hardening.pdf_samples import plain_pdf


def _new(client, category_id, photos=(), scan=None, **fields):
    data = {"name": "Chả mực Hạ Long", "unit": "hộp 500 g", "price_vnd": "285000", "stock": "12",
            "status": "active", "category_id": str(category_id), **fields}
    data["images"] = [(io.BytesIO(content), name) for name, content in photos]
    if scan is not None:
        data["scan"] = (io.BytesIO(scan[1]), scan[0])
    return client.post("/seller/products/new", data=data, content_type="multipart/form-data")


def test_categories_are_grouped_under_the_ocop_groups(seller_client, db):
    food = factories.category("Thực phẩm", "Food")
    factories.category("Thủy sản chế biến", "Processed seafood", parent=food)
    drinks = factories.category("Đồ uống", "Drinks")
    page = seller_client.get("/seller/products/new").get_data(as_text=True)
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', page, re.S)
    assert [label for label, _ in groups] == ["Thực phẩm", "Đồ uống"]
    assert "Thủy sản chế biến" in groups[0][1] and "Thủy sản chế biến" not in groups[1][1]
    assert f'value="{drinks.id}"' in groups[1][1]
    assert 'enctype="multipart/form-data"' in page and 'name="images"' in page and 'name="certificate_no"' in page


def test_photos_and_certificate_are_saved_with_the_new_listing(seller_client, seller, db):
    food = factories.category("Thực phẩm", "Food")
    response = _new(seller_client, food.id, photos=[("cha-muc-1.jpg", image_bytes()), ("cha-muc-2.png", image_bytes("PNG"))],
                    scan=("giay-chung-nhan.pdf", plain_pdf()), stars="4", certificate_no="QN-2024-117",
                    level="province", issued_on="2024-03-15")
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    product = db.session.scalar(sa.select(Product))
    assert (product.name, product.price_vnd, product.stock, product.producer_id) == (
        "Chả mực Hạ Long", 285_000, 12, seller.producer.id)
    assert [img.position for img in product.images] == [0, 1]
    cert = product.certificate
    assert (cert.stars, cert.certificate_no, cert.verified) == (4, "QN-2024-117", False)
    assert cert.scan_path and seller_client.get(f"/seller/products/{product.id}/certificate/scan").data == plain_pdf()
    edit = seller_client.get(response.headers["Location"]).get_data(as_text=True)
    assert edit.count("card-img-top") == 2


def test_a_listing_without_photos_or_certificate_is_fine(seller_client, db):
    food = factories.category("Thực phẩm", "Food")
    assert _new(seller_client, food.id).status_code == 302
    product = db.session.scalar(sa.select(Product))
    assert product.images == [] and product.certificate is None


def test_one_bad_part_writes_nothing_and_shows_every_error(app, seller_client, db):
    food = factories.category("Thực phẩm", "Food")
    response = _new(seller_client, food.id, photos=[("not-a-photo.jpg", b"plain text")], price_vnd="abc",
                    certificate_no="QN-1", issued_on="2099-01-01")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="f-price_vnd"' in body and "not-a-photo.jpg" in body and "2013" in body
    assert "Chả mực Hạ Long" in body  # what was typed stays
    for model in (Product, ProductImage, Certificate):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
