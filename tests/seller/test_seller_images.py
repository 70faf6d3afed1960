"""Product photos: validated with Pillow, EXIF stripped, resized, reordered, removed; hostile files refused."""
from __future__ import annotations

import io
import random

import pytest
import sqlalchemy as sa
from PIL import Image

from tests import factories
from marketplace.catalog.models import ProductImage
from marketplace.storage import get_storage
from seller_samples import SVG_WITH_SCRIPT, decompression_bomb, image_bytes


def _upload(client, product, *files):
    return client.post(f"/seller/products/{product.id}/images", content_type="multipart/form-data",
                       data={"images": [(io.BytesIO(data), name) for name, data in files]})


def _stored_files(app) -> list:
    import os

    root = app.config["UPLOAD_DIR"]
    return [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs] if os.path.isdir(root) else []


def test_a_photo_is_resized_stripped_of_exif_and_served_with_caching(app, seller_client, seller, db):
    product = factories.product(prod=seller.producer)
    photo = image_bytes("JPEG", size=(3000, 2000), exif=True)
    assert b"PhoneMaker" in photo
    response = _upload(seller_client, product, ("vuon-tra.jpg", photo))
    assert response.status_code == 302

    image = db.session.scalar(sa.select(ProductImage))
    # EXIF orientation 6 applied (portrait now), long side bounded by the web size.
    assert (image.width, image.height) == (1067, 1600)
    web = get_storage().read(image.path)
    thumb = get_storage().read(image.thumb_path)
    assert b"PhoneMaker" not in web and b"Exif" not in web
    with Image.open(io.BytesIO(web)) as stored:
        assert stored.format == "WEBP" and stored.size == (1067, 1600) and not stored.getexif()
    with Image.open(io.BytesIO(thumb)) as small:
        assert max(small.size) == 400

    served = seller_client.get(f"/media/{image.path}")
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert served.data == web
    assert "max-age=31536000" in served.headers["Cache-Control"] and "public" in served.headers["Cache-Control"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert seller_client.get("/media/products/../../etc/passwd").status_code == 404


@pytest.mark.parametrize("name,data,message", [
    ("anh.jpg", b"MZ\x90\x00 this is a program renamed to .jpg" * 50,
     "Tệp không phải là ảnh JPEG, PNG hoặc WebP hợp lệ"),
    ("logo.svg", SVG_WITH_SCRIPT, "Không nhận ảnh SVG hay tệp HTML/XML"),
    ("logo.jpg", SVG_WITH_SCRIPT, "Không nhận ảnh SVG hay tệp HTML/XML"),
    ("bomb.png", None, "Ảnh quá nhiều điểm ảnh (tối đa 40 triệu)"),
    ("cat.tiff", None, "không phải là ảnh JPEG, PNG hoặc WebP hợp lệ"),
])
def test_hostile_or_unsupported_uploads_are_refused_with_a_clear_message(
        app, seller_client, seller, db, name, data, message):
    if name == "bomb.png":
        data = decompression_bomb()
        assert len(data) < 50_000  # tiny on disk, 81 million pixels once decoded
    if name == "cat.tiff":
        data = image_bytes("TIFF")
    product = factories.product(prod=seller.producer)
    files_before = _stored_files(app)
    response = _upload(seller_client, product, (name, data))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ProductImage.id))) == 0
    assert _stored_files(app) == files_before


def test_an_oversized_file_is_refused(app, seller_client, seller, db):
    product = factories.product(prod=seller.producer)
    app.config["IMAGE_MAX_BYTES"], saved = 50_000, app.config["IMAGE_MAX_BYTES"]
    try:
        noisy = Image.frombytes("RGB", (300, 300), random.Random(7).randbytes(270_000))
        out = io.BytesIO()
        noisy.save(out, "PNG")
        assert len(out.getvalue()) > 50_000
        response = _upload(seller_client, product, ("big.png", out.getvalue()))
    finally:
        app.config["IMAGE_MAX_BYTES"] = saved
    assert response.status_code == 422
    assert "Tệp quá lớn" in response.get_data(as_text=True)
    assert "Tệp quá lớn" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ProductImage.id))) == 0


def test_one_bad_file_in_a_batch_adds_none(app, seller_client, seller, db):
    product = factories.product(prod=seller.producer)
    files_before = _stored_files(app)
    response = _upload(seller_client, product, ("a.jpg", image_bytes()), ("b.jpg", b"not an image at all" * 10))
    assert response.status_code == 422
    assert "b.jpg" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ProductImage.id))) == 0
    assert _stored_files(app) == files_before


def test_at_most_eight_photos_per_product(seller_client, seller, db):
    product = factories.product(prod=seller.producer)
    assert _upload(seller_client, product, *[(f"{i}.png", image_bytes("PNG", (100, 100))) for i in range(6)]
                   ).status_code == 302
    response = _upload(seller_client, product, *[(f"{i}.png", image_bytes("PNG", (100, 100))) for i in range(3)])
    assert response.status_code == 422
    assert "Mỗi sản phẩm tối đa 8 ảnh (đang có 6)" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ProductImage.id))) == 6


def test_photos_are_reordered_and_removed(app, seller_client, seller, db):
    product = factories.product(prod=seller.producer)
    _upload(seller_client, product, *[(f"{i}.jpg", image_bytes(color=(i * 60, 0, 0))) for i in range(3)])
    first, second, third = db.session.scalars(sa.select(ProductImage).order_by(ProductImage.position)).all()

    seller_client.post(f"/seller/products/{product.id}/images/{third.id}/move", data={"direction": "up"})
    order = db.session.scalars(sa.select(ProductImage.id).order_by(ProductImage.position)).all()
    assert order == [first.id, third.id, second.id]

    removed_key = first.path
    assert seller_client.post(f"/seller/products/{product.id}/images/{first.id}/delete").status_code == 302
    rows = db.session.execute(sa.select(ProductImage.id, ProductImage.position).order_by(ProductImage.position)).all()
    assert [tuple(r) for r in rows] == [(third.id, 0), (second.id, 1)]
    assert not get_storage().exists(removed_key)

    # The API: upload, reorder and remove in the contract's PATCH.
    api = seller_client.post(f"/api/v1/seller/products/{product.id}/images", content_type="multipart/form-data",
                             data={"images": [(io.BytesIO(image_bytes("PNG")), "d.png")]})
    assert api.status_code == 201 and len(api.json["images"]) == 3
    new_id = api.json["images"][-1]["id"]
    patched = seller_client.patch(f"/api/v1/seller/products/{product.id}",
                                  json={"image_order": [new_id, second.id], "remove_image_ids": [third.id]})
    assert patched.status_code == 200
    assert [img["id"] for img in patched.json["images"]] == [new_id, second.id]
    assert patched.json["images"][0]["url"].startswith("/media/products/")
