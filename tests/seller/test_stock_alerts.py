"""Back-in-stock alerts: a shopper leaves an email on a sold-out product and gets one message,
through the outbox, when the seller puts units back (the form or a CSV import)."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from tests import factories
from marketplace.alerts.models import StockAlert
from marketplace.mail.models import OutgoingMail
from tests.conftest import rate_limits_on


@pytest.fixture
def sold_out(seller, db):
    return factories.product("Trà hoa vàng Ba Chẽ", prod=seller.producer, price_vnd=350_000, stock=0)


def _mails(db) -> list[OutgoingMail]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(OutgoingMail).order_by(OutgoingMail.id)))


def _alerts(db) -> list[StockAlert]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(StockAlert).order_by(StockAlert.id)))


def _restock(seller_client, product, stock: int, seen: int):
    response = seller_client.post(f"/seller/products/{product.id}", data={
        "name": product.name, "unit": product.unit, "price_vnd": str(product.price_vnd), "stock": str(stock),
        "stock_seen": str(seen), "status": "active", "category_id": product.category_id})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def test_the_sold_out_product_page_links_to_the_alert_form(web, sold_out):
    page = web.get(f"/products/{sold_out.slug}").get_data(as_text=True)
    assert f'href="/products/{sold_out.id}/notify"' in page and "Báo cho tôi khi có hàng lại" in page
    form = web.get(f"/products/{sold_out.id}/notify")
    assert form.status_code == 200 and 'name="email"' in form.get_data(as_text=True)


def test_a_guest_subscribes_once_and_gets_one_message_when_the_seller_restocks(app, seller_client, sold_out, db):
    guest = app.test_client()
    first = guest.post(f"/products/{sold_out.id}/notify", data={"email": " Lan@Example.VN "})
    assert first.status_code == 200 and 'id="alert-done"' in first.get_data(as_text=True)
    again = guest.post(f"/products/{sold_out.id}/notify", data={"email": "lan@example.vn"})
    assert again.status_code == 200
    english = app.test_client().post(f"/products/{sold_out.id}/notify?lang=en", data={"email": "tom@example.com"})
    assert english.status_code == 200
    assert [(a.email, a.lang, a.user_id) for a in _alerts(db)] == [("lan@example.vn", "vi", None),
                                                                    ("tom@example.com", "en", None)]
    assert _mails(db) == []

    _restock(seller_client, sold_out, 5, seen=0)
    mails = _mails(db)
    assert sorted(m.recipients for m in mails) == ["lan@example.vn", "tom@example.com"]
    vi = next(m for m in mails if m.recipients == "lan@example.vn")
    en = next(m for m in mails if m.recipients == "tom@example.com")
    assert vi.subject == "Đã có hàng lại: Trà hoa vàng Ba Chẽ"
    assert en.subject == "Back in stock: Trà hoa vàng Ba Chẽ"
    assert f"/products/{sold_out.slug}" in vi.body_text and "/alerts/unsubscribe/" in vi.body_text
    assert all(a.notified_at is not None for a in _alerts(db))

    # More units later, or the same figure again: nobody gets a second message.
    _restock(seller_client, sold_out, 8, seen=5)
    assert len(_mails(db)) == 2


def test_a_restock_by_csv_import_sends_the_message(app, seller_client, sold_out, db):
    app.test_client().post(f"/products/{sold_out.id}/notify", data={"email": "lan@example.vn"})
    text = ("id,name,category,unit,price_vnd,stock,stock_seen\n"
            f"{sold_out.id},{sold_out.name},food,{sold_out.unit},350000,30,0\n")
    preview = seller_client.post("/seller/products/import", content_type="multipart/form-data",
                                 data={"file": (io.BytesIO(text.encode()), "san-pham.csv")})
    key = re.search(r'name="key" value="([^"]+)"', preview.get_data(as_text=True)).group(1)
    assert seller_client.post("/seller/products/import/apply", data={"key": key}).status_code == 302
    assert [m.recipients for m in _mails(db)] == ["lan@example.vn"]


def test_a_signed_in_shopper_finds_their_address_filled_in(client, sold_out, db):
    shopper = factories.user(email="mai@example.vn")
    factories.login_as(client, shopper)
    assert 'value="mai@example.vn"' in client.get(f"/products/{sold_out.id}/notify").get_data(as_text=True)
    assert client.post(f"/products/{sold_out.id}/notify", data={"email": "mai@example.vn"}).status_code == 200
    assert [(a.email, a.user_id) for a in _alerts(db)] == [("mai@example.vn", shopper.id)]


def test_bad_requests_are_refused_clearly(app, seller, sold_out, db):
    guest = app.test_client()
    bad = guest.post(f"/products/{sold_out.id}/notify", data={"email": "không phải email"})
    assert bad.status_code == 422 and "Nhập một địa chỉ email hợp lệ." in bad.get_data(as_text=True)
    in_stock = factories.product("Nước mắm", prod=seller.producer, stock=4)
    answer = guest.post(f"/products/{in_stock.id}/notify", data={"email": "lan@example.vn"})
    assert answer.status_code == 409
    draft = factories.product("Bản nháp", prod=seller.producer, stock=0, status="draft")
    assert guest.get(f"/products/{draft.id}/notify").status_code == 404
    assert guest.get("/products/999999/notify").status_code == 404
    assert _alerts(db) == []


def test_sign_ups_are_rate_limited_per_client_and_per_address(app, seller, sold_out, db):
    other = factories.product("Mực khô", prod=seller.producer, stock=0)
    app.config["STOCK_ALERTS_PER_EMAIL"] = 1
    try:
        guest = app.test_client()
        assert guest.post(f"/products/{sold_out.id}/notify", data={"email": "lan@example.vn"}).status_code == 200
        assert guest.post(f"/products/{other.id}/notify", data={"email": "lan@example.vn"}).status_code == 429
    finally:
        app.config["STOCK_ALERTS_PER_EMAIL"] = 20
    with rate_limits_on(app, STOCK_ALERT_RATE_LIMIT="2 per hour"):
        guest = app.test_client()
        codes = [guest.post(f"/products/{sold_out.id}/notify", data={"email": f"u{n}@example.vn"}).status_code
                 for n in range(3)]
    assert codes == [200, 200, 429]


def test_unsubscribing_takes_a_click_on_the_page_and_stops_the_message(app, seller_client, sold_out, db):
    app.test_client().post(f"/products/{sold_out.id}/notify", data={"email": "lan@example.vn"})
    from marketplace.alerts.services import unsubscribe_path

    path = unsubscribe_path(_alerts(db)[0])
    reader = app.test_client()
    page = reader.get(path)
    assert page.status_code == 200 and "lan@example.vn" in page.get_data(as_text=True)
    assert len(_alerts(db)) == 1  # opening the link (or a mail scanner) removes nothing
    done = reader.post(path)
    assert done.status_code == 200 and 'id="alert-cancelled"' in done.get_data(as_text=True)
    assert _alerts(db) == []
    assert reader.post(path).status_code == 404
    assert reader.get("/alerts/unsubscribe/forged.token").status_code == 404
    _restock(seller_client, sold_out, 5, seen=0)
    assert _mails(db) == []


def test_an_alert_waits_while_the_product_is_not_in_the_shop(app, seller_client, seller, sold_out, db):
    from marketplace.alerts.services import notify_back_in_stock

    app.test_client().post(f"/products/{sold_out.id}/notify", data={"email": "lan@example.vn"})
    sold_out.status = "draft"
    sold_out.stock = 3
    db.session.commit()
    assert notify_back_in_stock(sold_out) == 0
    sold_out.status = "active"
    db.session.commit()
    assert notify_back_in_stock(sold_out) == 1
    db.session.commit()
    assert notify_back_in_stock(sold_out) == 0  # claimed once
    db.session.commit()
    assert [m.recipients for m in _mails(db)] == ["lan@example.vn"]
