"""On a 390×844 phone: a shopper asks to be told when a sold-out product returns; a seller
adds a listing with photos and its certificate in one save, restocks the sold-out product
(the shopper's email goes out), and is asked before cancelling an order."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.catalog.models import Certificate, Product
from marketplace.extensions import db
from marketplace.mail.models import OutgoingMail
from marketplace.timeutil import utcnow
from tests import factories as f
from tests.browser.steps import log_in, no_console_errors
from tests.payments.helpers import make_order

expect = pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed").expect

PHONE = {"width": 390, "height": 844}


def _jpeg(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 600), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def shop(app):
    with app.app_context():
        food = f.category("Thực phẩm", "Food")
        f.category("Thủy sản chế biến", "Processed seafood", parent=food)
        f.category("Đồ uống", "Drinks")
        seller = f.seller_of("HTX Thủy sản Vân Đồn")
        sold_out = f.product("Chả mực Hạ Long", prod=seller.producer, stock=0, price_vnd=285_000)
        order = make_order(prices=(120_000,))
        part = order.parts[0]
        part.producer_id = seller.producer.id
        # Paid (as a bank notice would leave it): only a paid order's parts are the seller's to move.
        order.status, order.payment_status, order.paid_at = "paid", "paid", utcnow()
        db.session.commit()
        ids = {"seller": seller.user.email, "sold_out": sold_out.id, "slug": sold_out.slug, "part": part.id,
               "code": order.code}
        db.session.remove()
    return ids


def _phone(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="vi-VN", viewport={"width": 1280, "height": 900},
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.console_errors = []
    page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
    return context, page


def test_back_in_stock_alert_and_the_sellers_one_save_on_a_phone(app, browser, live_server, shop):
    guest_context, guest = _phone(browser, live_server)
    seller_context, seller = _phone(browser, live_server)
    try:
        # The shopper, on a phone, asks to be told.
        guest.set_viewport_size(PHONE)
        guest.goto(f"/products/{shop['slug']}")
        notify = guest.get_by_role("link", name="Báo cho tôi khi có hàng lại")
        expect(notify).to_be_visible()
        assert notify.bounding_box()["y"] + notify.bounding_box()["height"] <= PHONE["height"]
        notify.click()
        guest.get_by_label("Email").fill("lan@example.vn")
        guest.get_by_role("button", name="Báo cho tôi").click()
        expect(guest.locator("#alert-done")).to_contain_text("lan@example.vn")

        # The seller signs in (at desktop width, where "log out" shows), then works on a phone.
        log_in(seller, shop["seller"])
        seller.set_viewport_size(PHONE)
        seller.goto("/seller/products/new")
        active = seller.locator("nav.nav-pills .nav-link.active")
        assert active.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(11, 110, 79)"  # the site's green
        seller.get_by_label("Tên sản phẩm").fill("Sá sùng khô Quan Lạn")
        seller.get_by_label("Nhóm sản phẩm").select_option(label="Thủy sản chế biến")
        seller.get_by_label("Giá (đồng)").fill("1500000")
        seller.get_by_label("Đơn vị bán").fill("hộp 100 g")
        seller.get_by_label("Tồn kho").fill("8")
        seller.locator("#f-images").set_input_files([
            {"name": "sa-sung-1.jpg", "mimeType": "image/jpeg", "buffer": _jpeg("#0b6e4f")},
            {"name": "sa-sung-2.jpg", "mimeType": "image/jpeg", "buffer": _jpeg("#c99700")}])
        seller.get_by_label("Số giấy chứng nhận").fill("QN-2024-117")
        seller.get_by_label("Ngày cấp").fill("2024-03-15")
        seller.get_by_role("button", name="Lưu", exact=True).click()
        expect(seller.locator("#photos .card-img-top")).to_have_count(2)
        expect(seller.locator("#certificate")).to_contain_text("QN-2024-117")

        # Back in stock: the shopper's one email goes out with the save.
        seller.goto(f"/seller/products/{shop['sold_out']}")
        seller.get_by_label("Tồn kho").fill("5")
        seller.get_by_role("button", name="Lưu", exact=True).click()
        expect(seller.get_by_text("Đã lưu sản phẩm.")).to_be_visible()

        # Cancelling asks first: "no" keeps the order, "yes" cancels it.
        seller.goto(f"/seller/orders/{shop['part']}")
        seller.get_by_label("Lý do huỷ").fill("Hết hàng")
        seller.once("dialog", lambda dialog: dialog.dismiss())
        seller.get_by_role("button", name="Huỷ đơn hàng", exact=True).click()
        expect(seller.get_by_role("button", name="Huỷ đơn hàng", exact=True)).to_be_visible()
        messages = []
        seller.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
        seller.get_by_role("button", name="Huỷ đơn hàng", exact=True).click()
        expect(seller.get_by_role("button", name="Huỷ đơn hàng", exact=True)).to_have_count(0)
        assert messages[0].startswith("Huỷ phần đơn hàng") and shop["code"] in messages[0]
        no_console_errors(guest)
        no_console_errors(seller)
    finally:
        guest_context.close()
        seller_context.close()
    with app.app_context():
        added = db.session.scalar(sa.select(Product).where(Product.name == "Sá sùng khô Quan Lạn"))
        assert len(added.images) == 2 and added.category.name_vi == "Thủy sản chế biến"
        assert db.session.scalar(sa.select(Certificate.certificate_no).where(Certificate.product_id == added.id)) == \
            "QN-2024-117"
        mails = db.session.scalars(sa.select(OutgoingMail).where(OutgoingMail.recipients == "lan@example.vn")).all()
        assert [m.subject for m in mails] == ["Đã có hàng lại: Chả mực Hạ Long"]
        db.session.remove()
