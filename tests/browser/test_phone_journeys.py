"""Shopping, paying and selling on a 390×844 phone, from start to finish.

One story, step after step (the tests run in order and share it): a cooperative joins from
its phone and lists a product with its photos and certificate in one save; once an admin has
approved the cooperative and verified the certificate, a shopper finds the product by typing
without accents, swipes its photos, checks out with her saved address, copies the bank
details on the payment page (read back from Chromium's clipboard), sees the payment land and
what happens next, follows the order in her order cards and buys it again; the cooperative
then ships its part. Every page on the way must fit the phone's width.
Screenshots: test-artifacts/screenshots/phone-*/.
"""
from __future__ import annotations

import re
from datetime import datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from marketplace.accounts.addresses import create_address
from marketplace.accounts.models import User
from marketplace.admin import services as admin
from marketplace.catalog.models import Producer, Product
from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.timeutil import LOCAL_TZ
from tests import factories as f
from tests.browser.conftest import Shots, new_page
from tests.browser.steps import no_console_errors
from tests.conftest import empty_tables
from tests.payments.helpers import ACCOUNT_NO, SEPAY_KEY, post_sepay, sepay_body

expect = pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed").expect

PHONE = {"width": 390, "height": 844}
PASSWORD = "mat-khau-htx-2025"
PRODUCT = "Sá sùng khô Quan Lạn"
CERTIFICATE = "QN-2025-0417"
TRACKING_NUMBER = "GHN7QX2M9K"
WAIT_MS = 30_000  # the payment page polls every few seconds


def _png(colour: str) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1200, 900), colour).save(out, "PNG")
    return out.getvalue()


def fits_the_phone(page) -> None:
    """No sideways scrolling: the document is no wider than the phone's window."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone"


def on_first_screen(page, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box and box["y"] + box["height"] <= PHONE["height"], f"{selector} is below the first screen: {box}"


def sign_in_on_a_phone(page, email: str, password: str) -> None:
    """Through the login form; on a phone "log out" hides in the folded menu, so the way off
    /login is the sign that it worked."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form [type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture(autouse=True)
def _clean_tables():
    """Overrides conftest's per-test cleanup: the journeys share one story, step after step."""
    yield


@pytest.fixture(scope="module")
def story(app):
    """A Quảng Ninh commune for the cooperative, the six-group categories, an admin, a shopper
    with a saved default address, and the bank the VietQR and SePay settings name."""
    empty_tables(app)
    keys = ("SEPAY_API_KEY", "VIETQR_ACCOUNT_NO", "VIETQR_BANK_BIN", "VIETQR_ACCOUNT_NAME")
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(SEPAY_API_KEY=SEPAY_KEY, VIETQR_ACCOUNT_NO=ACCOUNT_NO, VIETQR_BANK_BIN="970436",
                      VIETQR_ACCOUNT_NAME="TRUNG TAM OCOP QUANG NINH")
    with app.app_context():
        food = f.category("Thực phẩm", "Food")
        f.category("Thủy sản chế biến", "Processed seafood", parent=food)
        f.category("Đồ uống", "Drinks")
        loc = f.locality("Quan Lạn", region="Vân Đồn")
        shopper = f.user(email="thu.ha@example.vn", full_name="Phạm Thu Hà", phone="0987654321")
        create_address(shopper, {"full_name": "Phạm Thu Hà", "phone": "0987654321", "line1": "Số 9, phố Cái Rồng",
                                 "province_code": 22, "ward_code": 6673})
        s = SimpleNamespace(locality=loc.name, shopper=shopper.email, admin_id=f.user("admin").id,
                            seller="ke.toan@htx-quanlan.vn", order_code=None, reference=None, total=None)
        db.session.remove()
    yield s
    app.config.update(saved)
    empty_tables(app)


@pytest.fixture
def phone(browser, live_server):
    page = new_page(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    yield page
    page.context.close()


def test_a_cooperative_joins_and_lists_a_product_with_photos_and_certificate_in_one_save(app, phone, story):
    page, shot = phone, Shots(phone, "phone-1-seller-joins")
    page.goto("/seller/join")
    fits_the_phone(page)
    page.get_by_label("Tên cơ sở").fill("HTX Hải sản Quan Lạn")
    page.select_option("#f-kind", "cooperative")
    page.locator("#f-tax_code").fill("5702025417")
    page.select_option("#f-locality", label=f"{story.locality} (Vân Đồn)")
    page.locator("#f-address").fill("Thôn Tân Phong, xã Quan Lạn")
    page.locator("#f-phone").fill("0203 3877 417")
    page.locator("#f-full_name").fill("Vũ Thị Mai")
    page.locator("#f-member_email").fill(story.seller)
    page.locator("#f-password").fill(PASSWORD)
    shot("join-form")
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_url(re.compile(r"/seller/?$"))
    expect(page.locator("main")).to_contain_text("Đã nhận đăng ký")
    fits_the_phone(page)
    shot("dashboard")

    page.goto("/seller/products/new")
    fits_the_phone(page)
    page.get_by_label("Tên sản phẩm").fill(PRODUCT)
    page.get_by_label("Nhóm sản phẩm").select_option(label="Thủy sản chế biến")
    page.get_by_label("Giá (đồng)").fill("1500000")
    page.get_by_label("Đơn vị bán").fill("hộp 100 g")
    page.get_by_label("Tồn kho").fill("8")
    page.select_option("#f-status", "active")
    page.locator("#f-images").set_input_files([
        {"name": "sa-sung-1.png", "mimeType": "image/png", "buffer": _png("#0b6e4f")},
        {"name": "sa-sung-2.png", "mimeType": "image/png", "buffer": _png("#c99700")}])
    page.select_option("#f-stars", "4")
    page.get_by_label("Số giấy chứng nhận").fill(CERTIFICATE)
    page.get_by_label("Ngày cấp").fill("2025-04-17")
    shot("new-listing")
    page.get_by_role("button", name="Lưu", exact=True).click()  # one save: listing, photos, certificate
    expect(page.locator("#photos .card-img-top")).to_have_count(2)
    expect(page.locator("#certificate")).to_contain_text(CERTIFICATE)
    fits_the_phone(page)
    shot("listing-saved")
    no_console_errors(page)

    # The admin's part (its own journeys cover the admin portal): approve the cooperative and
    # verify the certificate, after which the product is for sale.
    with app.app_context():
        producer = db.session.scalar(sa.select(Producer).where(Producer.tax_code == "5702025417"))
        product = db.session.scalar(sa.select(Product).where(Product.name == PRODUCT))
        actor = db.session.get(User, story.admin_id)
        admin.approve_producer(actor, producer.id)
        admin.verify_certificate(actor, product.certificate.id)
        product = db.session.get(Product, product.id)
        assert product.for_sale and len(product.images) == 2
        db.session.remove()


def test_a_shopper_finds_pays_by_copying_the_bank_details_and_follows_her_order(app, live_server, phone, story):
    page, shot = phone, Shots(phone, "phone-2-shopper-pays")
    sign_in_on_a_phone(page, story.shopper, f.PASSWORD)

    # Search from the header (no menu to open), typing without accents.
    page.goto("/")
    expect(page.locator("#site-search")).to_be_visible()
    page.fill("#site-search", "sa sung quan lan")
    page.press("#site-search", "Enter")
    page.wait_for_url(re.compile(r"/products\?q="))
    fits_the_phone(page)
    card = page.locator(".product-card", has_text=PRODUCT)
    expect(card).to_have_count(1)
    on_first_screen(page, ".product-card")
    shot("search")
    card.locator("a.stretched-link").click()

    # The product page: name, stars, price and "add to cart" on the first screen; the photos
    # in a strip that swipes, with a thumbnail that jumps to each.
    expect(page.locator("main h1")).to_have_text(PRODUCT)
    expect(page.locator(".product-gallery img")).to_have_count(2)
    for selector in ("main h1", "main .ocop-badge", "#price", "form.add-to-cart button[type=submit]"):
        on_first_screen(page, selector)
    page.locator(".gallery-thumbs a").nth(1).click()
    page.wait_for_function("document.querySelector('.product-gallery').scrollLeft > 0")
    fits_the_phone(page)
    shot("product-gallery")
    page.fill("form.add-to-cart #quantity", "2")
    page.locator("form.add-to-cart button[type=submit]").click()
    expect(page.locator("#cart-count")).to_have_text("2")  # in the header, menu folded

    # The cart, then checkout starting from the saved default address.
    page.locator("a.cart-link").click()
    page.wait_for_url(re.compile(r"/cart$"))
    expect(page.locator("main section.card")).to_contain_text("HTX Hải sản Quan Lạn")
    expect(page.locator("main section.card")).to_contain_text(PRODUCT)
    fits_the_phone(page)
    shot("cart")
    page.locator("main a[href='/checkout']").click()
    expect(page.locator("#line1")).to_have_value("Số 9, phố Cái Rồng")
    expect(page.locator("#ward")).to_have_value("Phường Bãi Cháy")
    expect(page.locator("#province")).to_have_value("Quảng Ninh")
    expect(page.locator("#phone")).to_have_value("0987654321")
    page.check("input[name=payment_method][value=vietqr]")
    fits_the_phone(page)
    shot("checkout")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/orders/[^/?]+\?placed=1"))
    code = re.search(r"/orders/([^/?]+)", page.url).group(1)
    with app.app_context():
        order = db.session.scalar(sa.select(Order).where(Order.code == code))
        story.order_code, story.reference, story.total = code, order.payment_reference, order.total_vnd
        db.session.remove()

    # The order page carries the payment panel, ahead of the items on a phone.
    panel = page.locator("#payment-panel")
    expect(panel.locator("#pay-bank")).to_contain_text("Vietcombank")
    assert panel.bounding_box()["y"] < page.locator("main section.card").first.bounding_box()["y"]
    fits_the_phone(page)
    shot("order-placed")

    # The payment page, paying from this very phone: copy each detail into the banking app.
    page.get_by_role("link", name="Trang thanh toán").click()
    page.wait_for_url(re.compile(r"/payments/orders/"))
    expect(page.locator("#pay-bank")).to_contain_text("Ngân hàng TMCP Ngoại thương Việt Nam")
    expect(page.locator("main")).not_to_contain_text("970436")
    for label, copied in (("Sao chép số tài khoản", ACCOUNT_NO), ("Sao chép số tiền", str(story.total)),
                          ("Sao chép nội dung chuyển khoản", story.reference)):
        page.get_by_role("button", name=label).click()
        assert page.evaluate("navigator.clipboard.readText()") == copied, label
    expect(page.locator("#payment-countdown")).to_have_text(re.compile(r"^(\d+:)?\d\d:\d\d$"))
    with page.expect_download() as saving:
        page.get_by_role("link", name="Lưu ảnh QR").click()
    download = saving.value
    assert download.suggested_filename == f"VietQR-{code}.png"
    with open(download.path(), "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    expect(page.get_by_role("link", name=f"Quay lại đơn hàng {code}")).to_be_visible()
    fits_the_phone(page)
    shot("payment-page")

    # The bank's notice arrives (SePay): the page turns paid by itself and says what is next.
    now = datetime.now(tz=LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")
    with app.app_context():
        assert post_sepay(app.test_client(), sepay_body(story.reference, story.total, txn_id=770_417,
                                                        when=now)).status_code == 200
    expect(page.locator("#payment-next")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#payment-next")).to_contain_text("Tiếp theo:")
    expect(page.locator("main")).not_to_contain_text("sepay")
    shot("paid")

    # My orders: a card with the product, its photo and the same status words as everywhere.
    page.goto("/orders")
    fits_the_phone(page)
    tabs = page.locator(".order-tabs")
    for stage in ("Chờ thanh toán", "Đang xử lý", "Đang giao", "Hoàn thành", "Đã huỷ"):
        expect(tabs).to_contain_text(stage)
    card = page.locator(".order-cards > li", has_text=code)
    expect(card).to_contain_text(PRODUCT)
    expect(card.locator(".badge").first).to_have_text("Đang xử lý")
    assert card.locator("img").first.evaluate("img => img.complete && img.naturalWidth > 0")
    tabs.get_by_role("link", name=re.compile("^Chờ thanh toán")).click()
    expect(page.locator(".order-cards")).to_have_count(0)
    tabs.get_by_role("link", name=re.compile("^Đang xử lý")).click()
    expect(page.locator(".order-cards > li", has_text=code)).to_have_count(1)
    shot("order-cards")

    # Buy again: the same two boxes go back into the cart.
    page.locator(".order-cards > li", has_text=code).get_by_role("button", name="Mua lại").click()
    expect(page.locator("#cart-count")).to_have_text("2")
    page.goto("/cart")
    expect(page.locator("main section.card")).to_contain_text(PRODUCT)
    fits_the_phone(page)
    shot("bought-again")
    no_console_errors(page)


def test_the_cooperative_ships_its_part_from_a_phone(app, phone, story):
    assert story.order_code, "the shopper's order of the previous journey is needed"
    page, shot = phone, Shots(phone, "phone-3-seller-ships")
    sign_in_on_a_phone(page, story.seller, PASSWORD)
    page.wait_for_url(re.compile(r"/seller/?$"))  # a seller lands in the portal
    page.goto("/seller/orders")
    fits_the_phone(page)
    page.get_by_role("link", name=story.order_code).click()
    expect(page.locator("main")).to_contain_text(PRODUCT)
    page.get_by_role("button", name="Xác nhận đơn").click()
    expect(page.locator("main .alert-success")).to_be_visible()
    page.select_option("#f-carrier", "ghn")
    page.fill("#f-tracking", TRACKING_NUMBER)
    fits_the_phone(page)
    shot("shipping-form")
    page.get_by_role("button", name="Đã gửi hàng").click()
    expect(page.locator("main .alert-success")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Giao Hàng Nhanh (GHN)")
    expect(page.locator("main")).to_contain_text(TRACKING_NUMBER)
    fits_the_phone(page)
    shot("shipped")
    no_console_errors(page)
    with app.app_context():
        order = db.session.scalar(sa.select(Order).where(Order.code == story.order_code))
        assert [(p.status, p.tracking_number) for p in order.parts] == [("shipped", TRACKING_NUMBER)]
        db.session.remove()
