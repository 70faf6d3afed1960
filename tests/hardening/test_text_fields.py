"""Names and free text refuse control characters, direction overrides and invisible-only values.

One check (validators.clean_text) serves the checkout (web form and API), the seller's
listings (form, API and CSV import), seller sign-up and accounts; each refusal is a field
error, and accepted text is NFC-normalised.
"""
from __future__ import annotations

import io
import unicodedata

import pytest
import sqlalchemy as sa

from marketplace.accounts.services import issue_token
from marketplace.catalog.models import Product
from marketplace.orders.models import Order
from marketplace.validators import clean_text
from tests import factories
from tests.api.envelope import error_of
from tests.hardening.checkout_bodies import checkout_body

BAD = {
    "bell": "Lan\x07",
    "escape": "\x1b[2JLan",
    "c1": "Lan\x85x",
    "right-to-left override": "Lan\u202egpj.exe",
    "isolate": "\u2066Lan\u2069",
    "zero width only": "\u200b\u200b",
    "hangul filler only": "\u3164",
    "braille blank only": "\u2800 \u2800",
    "combining marks only": "\u0301\u0303",
}
@pytest.mark.parametrize("text", BAD.values(), ids=BAD.keys())
def test_the_check_refuses(ctx, text):
    with pytest.raises(ValueError):
        clean_text(text)
    with pytest.raises(ValueError):
        clean_text(text, multiline=True)


def test_the_check_keeps_ordinary_text_and_normalises_it_to_nfc(ctx):
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Lan")
    assert decomposed != "Nguyễn Thị Lan"
    assert clean_text(f"  {decomposed} ") == "Nguyễn Thị Lan"
    assert clean_text("Hộp quà\r\nTết\tấm", multiline=True) == "Hộp quà\r\nTết\tấm"
    assert clean_text("العربية \u200fRLM mark") == "العربية \u200fRLM mark"  # a lone mark is ordinary text
    with pytest.raises(ValueError):
        clean_text("Hộp quà\nTết")  # one-line fields keep to one line


@pytest.mark.parametrize("field", ["contact.full_name", "shipping_address.line1", "note"])
def test_the_checkout_api_answers_a_field_error_and_orders_nothing(db, client, field):
    product = factories.product(stock=3)
    body = checkout_body([(product, 1)], field, BAD["right-to-left override"])
    error = error_of(client.post("/api/v1/checkout", json=body, headers={"Accept-Language": "vi"}), 422)
    assert error["fields"][field] == ["Không được dùng ký tự điều khiển hướng chữ."]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_the_checkout_form_shows_the_field_error(db, web):
    product = factories.product(stock=3)
    web.post("/cart/add", data={"product_id": product.id, "quantity": 1})
    form = {"full_name": "\u200b", "phone": "0987654321", "email": "minh@example.vn", "line1": "Thôn Đồng Tâm",
            "ward": "Xã Ba Chẽ", "province": "Quảng Ninh", "payment_method": "vietqr", "note": ""}
    response = web.post("/checkout?lang=en", data=form)
    assert response.status_code == 200
    assert "Enter visible characters." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_a_sellers_listing_refuses_them_through_the_api(db, client):
    seller = factories.user("seller", producer_id=factories.producer().id)
    headers = {"Authorization": f"Bearer {issue_token(seller, 'test')}", "Accept-Language": "en"}
    body = {"name": "\u3164", "category": factories.category().slug, "unit": "hộp\u202e", "price_vnd": 100_000,
            "stock": 3, "description": "Ngon\x1b"}
    error = error_of(client.post("/api/v1/seller/products", json=body, headers=headers), 422)
    assert set(error["fields"]) == {"name", "unit", "description"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0


def test_a_csv_import_reports_them_on_their_line(db, client):
    producer = factories.producer()
    factories.login_as(client, factories.user("seller", producer_id=producer.id))
    slug = factories.category().slug
    text = (f"name,category,unit,price_vnd,stock\nTrà hoa vàng,{slug},hộp,100000,3\n"
            f"\u202eTrà giả,{slug},hộp,100000,3\n")
    preview = client.post("/seller/products/import?lang=en", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(text.encode()), "san-pham.csv")})
    page = preview.get_data(as_text=True)
    assert "Text direction controls are not allowed." in page
    assert 'name="key"' not in page  # nothing can be applied while a row is wrong


def test_registration_refuses_an_invisible_name(db, client):
    body = {"email": "lan@example.vn", "password": "mat-khau-123", "full_name": "\u2800", "phone": "0912345678"}
    error = error_of(client.post("/api/v1/auth/register", json=body), 422)
    assert list(error["fields"]) == ["full_name"]
