"""Real-browser journeys through the shop, the seller portal, public tracking and the admin exports.

Chromium drives the live app over HTTP with CSRF protection on. The steps build on one
another, in order: a guest buys from two producers and pays by bank transfer, a producer
ships its parcel, anyone with the code and phone number tracks it, and an admin exports
the month's sales. Screenshots: test-artifacts/screenshots/<journey>/.
"""
from __future__ import annotations

import binascii
import csv
import io
import json
import re
import urllib.request
from datetime import datetime
from types import SimpleNamespace

import openpyxl
import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.timeutil import LOCAL_TZ, local_today
from tests import factories as f
from tests.browser.steps import add_to_cart, fill_checkout_contact, log_in, no_console_errors
from tests.conftest import empty_tables
from tests.payments.helpers import ACCOUNT_NO, SEPAY_KEY, sepay_body

expect = pytest.importorskip("playwright.sync_api", reason="browser journeys not run: the Python package "
                             "playwright is not installed (pip install -r requirements-dev.txt)").expect

VN_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
GUEST = SimpleNamespace(name="Trần Thị Hoa", phone="0987 654 321", email="hoa.tran@example.vn",
                        line1="Số 12 đường Trần Hưng Đạo", ward="Phường Hồng Gai", province="Quảng Ninh")
TRACKING_NUMBER = "GHN5K7QX9P2"
WAIT_MS = 30_000  # the order page polls every few seconds


def _tlv(text: str) -> dict[str, str]:
    fields, at = {}, 0
    while at < len(text):
        tag, size = text[at:at + 2], int(text[at + 2:at + 4])
        fields[tag] = text[at + 4:at + 4 + size]
        at += 4 + size
    return fields


def scanned_vietqr(png: bytes) -> dict[str, str]:
    """Decode a screenshot of a VietQR code (zxing-cpp) and read its EMVCo fields back,
    checking the CRC-16/CCITT-FALSE that banking apps check before they pre-fill a transfer."""
    zxingcpp = pytest.importorskip("zxingcpp", reason="pip install -r requirements-dev.txt (zxing-cpp)")
    from PIL import Image

    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [c.format.name for c in codes] == ["QRCode"], "exactly one QR code on the screenshot"
    payload = codes[0].text
    assert binascii.crc_hqx(payload[:-4].encode("ascii"), 0xFFFF) == int(payload[-4:], 16), "bad CRC"
    top = _tlv(payload)
    merchant = _tlv(top["38"])
    account = _tlv(merchant["01"])
    assert (top["00"], top["01"], merchant["00"], merchant["02"]) == ("01", "12", "A000000727", "QRIBFTTA")
    return {"bank_bin": account["00"], "account_no": account["01"], "currency": top["53"], "country": top["58"],
            "amount_vnd": top["54"], "purpose": _tlv(top["62"])["08"]}


@pytest.fixture(autouse=True)
def _clean_tables():
    """Overrides conftest's per-test cleanup: the journeys share one story, step after step."""
    yield


@pytest.fixture(scope="module")
def story(app):
    """Two producers with 5-star products (and a 4-star one the filter must hide), a seller of
    the first producer, an admin, and the bank settings the SePay notification is checked against."""
    empty_tables(app)
    saved = {k: app.config.get(k) for k in ("SEPAY_API_KEY", "VIETQR_ACCOUNT_NO", "VIETQR_BANK_BIN")}
    app.config.update(SEPAY_API_KEY=SEPAY_KEY, VIETQR_ACCOUNT_NO=ACCOUNT_NO, VIETQR_BANK_BIN="970436")
    with app.app_context():
        food, drinks = f.category("Thực phẩm", "Food"), f.category("Đồ uống", "Beverages")
        honey_maker = f.producer("HTX Mật ong Ba Chẽ", loc=f.locality("Ba Chẽ"))
        wine_maker = f.producer("Công ty Rượu Hoành Bồ", kind="enterprise", loc=f.locality("Hoành Bồ"))
        s = SimpleNamespace(
            honey=f.product("Mật ong rừng Ba Chẽ", price_vnd=320_000, stars=5, prod=honey_maker, cat=food),
            honey_4=f.product("Mật ong hoa nhãn", price_vnd=150_000, stars=4, prod=honey_maker, cat=food),
            wine=f.product("Rượu ba kích Hoành Bồ", price_vnd=450_000, stars=5, prod=wine_maker, cat=drinks),
            honey_maker=honey_maker.name, wine_maker=wine_maker.name,
            seller=f.user("seller", email="banhang@matong-bache.vn", producer_id=honey_maker.id).email,
            admin=f.user("admin", email="quantri@ocop.quangninh.vn").email,
            order_code=None)
        s.honey_id, s.honey, s.honey_4, s.wine = s.honey.id, s.honey.name, s.honey_4.name, s.wine.name
        db.session.remove()
    yield s
    app.config.update(saved)
    empty_tables(app)


@pytest.fixture
def ordered(story):
    """The story once the guest has ordered (the first journey)."""
    assert story.order_code, "the guest's order of the first journey is needed"
    return story


def order_row(app, code: str) -> Order:
    with app.app_context():
        order = db.session.execute(sa.select(Order).where(Order.code == code)).scalar_one()
        db.session.expunge(order)
        return order


def search_and_pick_five_stars(page, shot, query: str, expected: str, hidden: tuple[str, ...] = ()):
    page.fill("#site-search", query)
    page.press("#site-search", "Enter")
    page.wait_for_url(re.compile(r"/products\?q="))
    expect(page.locator("main")).to_contain_text(expected)
    shot(f"search-{query.replace(' ', '-')}")
    page.check("#stars-5")  # the filter form applies itself (static/js/site.js)
    page.wait_for_url(re.compile(r"stars=5"))
    cards = page.locator(".product-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text(expected)
    for name in hidden:
        expect(page.locator("main")).not_to_contain_text(name)
    shot(f"five-stars-{query.replace(' ', '-')}")
    cards.first.locator("a.stretched-link").click()
    expect(page.locator("h1")).to_have_text(expected)


def post_sepay_notification(base_url: str, body: dict) -> dict:
    request = urllib.request.Request(f"{base_url}/payments/sepay/webhook", data=json.dumps(body).encode(),
                                     method="POST", headers={"Authorization": f"Apikey {SEPAY_KEY}",
                                                             "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return json.load(response)


# ------------------------------------------------------------------------------ the journeys

def test_a_guest_finds_products_without_accents_buys_from_two_producers_and_pays_by_vietqr(
        app, live_server, page, shots, story):
    shot = shots("1-guest-buys-with-vietqr")
    page.goto("/")
    shot("home")
    # CSRF protection is on, as in production: a form post without the token is refused (and the
    # cart count below shows it added nothing).
    forged = page.request.post("/cart/add", form={"product_id": str(story.honey_id), "quantity": "5"},
                               max_redirects=0)
    assert forged.status == 400

    search_and_pick_five_stars(page, shot, "mat ong", story.honey, hidden=(story.honey_4,))
    shot("product-honey")
    add_to_cart(page)
    expect(page.locator("#cart-count")).to_have_text("1")
    shot("added-honey")
    search_and_pick_five_stars(page, shot, "ruou ba kich", story.wine)
    add_to_cart(page, quantity=2)
    expect(page.locator("#cart-count")).to_have_text("3")
    shot("added-wine")

    page.goto("/cart")
    sections = page.locator("main section.card")
    expect(sections).to_have_count(2)  # one parcel per producer
    expect(sections.nth(0)).to_contain_text(story.honey)
    expect(page.locator("main")).to_contain_text(story.honey_maker)
    expect(page.locator("main")).to_contain_text(story.wine_maker)
    shot("cart-two-producers")

    page.locator("main a[href='/checkout']").click()
    fill_checkout_contact(page, GUEST)
    page.check("input[name=payment_method][value=vietqr]")
    shot("checkout")
    page.locator("main form button[type=submit]").click()

    page.wait_for_url(re.compile(r"/orders/[^/?]+\?placed=1"))
    code = re.search(r"/orders/([^/?]+)", page.url).group(1)
    story.order_code = code
    order = order_row(app, code)
    assert order.status == "pending_payment" and order.payment_method == "vietqr"
    assert order.total_vnd == 320_000 + 2 * 450_000 + order.shipping_vnd
    qr = page.locator("main img[src*='/payments/qr/']")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code image did not load"
    # What a banking app reads off the screen: the QR as Chromium painted it, decoded.
    transfer = scanned_vietqr(qr.screenshot())
    assert transfer == {"bank_bin": "970436", "account_no": ACCOUNT_NO, "currency": "704", "country": "VN",
                        "amount_vnd": str(order.total_vnd), "purpose": order.payment_reference}
    expect(page.locator("main")).to_contain_text(order.payment_reference)
    expect(page.locator("main")).to_contain_text(f"{order.total_vnd:,}".replace(",", "."))
    expect(page.locator("main section.card")).to_have_count(2)
    expect(page.locator("#payment-waiting")).to_be_visible()
    shot("order-awaiting-transfer")

    # The bank tells SePay, SePay tells us: the shopper's transfer with the reference, now.
    now = datetime.now(tz=LOCAL_TZ).strftime(VN_TIME_FORMAT)
    reply = post_sepay_notification(live_server, sepay_body(order.payment_reference, order.total_vnd,
                                                            txn_id=880_001, when=now))
    assert reply["success"] is True

    # Nobody reloads: the page polls the payment status and shows the order paid by itself
    # (paid, it is in the producers' hands: "Đang xử lý"; the payment box says "Đã thanh toán").
    expect(page.locator("main .badge.fs-6")).to_have_text(re.compile("Đang xử lý"), timeout=WAIT_MS)
    expect(page.locator("main aside")).to_contain_text("Đã thanh toán")
    expect(page.locator("main img[src*='/payments/qr/']")).to_have_count(0)
    shot("order-paid")
    assert order_row(app, code).status == "paid"
    no_console_errors(page)


def test_the_producer_ships_its_parcel_with_a_carrier_and_tracking_number(page, shots, ordered):
    story = ordered
    shot = shots("2-producer-ships")
    log_in(page, story.seller, shot)

    page.goto("/seller/orders")
    row = page.locator("main tr", has_text=story.order_code)
    expect(row).to_have_count(1)  # the seller sees its own part of the order
    shot("seller-orders")
    row.locator("a").first.click()
    expect(page.locator("main")).to_contain_text(story.honey)
    expect(page.locator("main")).not_to_contain_text(story.wine)  # the other producer's part stays private
    page.get_by_role("button", name=re.compile("Xác nhận đơn|Confirm order")).click()
    expect(page.locator("main .alert-success")).to_be_visible()
    shot("seller-confirmed")

    page.select_option("#f-carrier", "ghn")
    page.fill("#f-tracking", TRACKING_NUMBER)
    shot("seller-shipping-form")
    page.get_by_role("button", name=re.compile("Đã gửi hàng|Đánh dấu đã gửi|Mark shipped")).click()
    expect(page.locator("main .alert-success")).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text("Giao Hàng Nhanh (GHN)")  # the carrier's name, not its code
    expect(main).to_contain_text(TRACKING_NUMBER)
    shot("seller-shipped")
    no_console_errors(page)


def test_the_public_tracking_page_shows_the_parcel_without_personal_data(page, shots, ordered):
    story = ordered
    shot = shots("3-public-tracking")
    page.goto("/track")
    page.fill("#code", story.order_code)
    page.fill("#phone", GUEST.phone)
    shot("track-form")
    page.locator("main form button[type=submit]").click()

    main = page.locator("main")
    expect(main.locator("h2.font-monospace")).to_have_text(story.order_code)
    shipped = main.locator("section.card", has_text=story.honey_maker)
    expect(shipped).to_contain_text("Giao Hàng Nhanh (GHN)")
    expect(shipped).to_contain_text(TRACKING_NUMBER)
    link = shipped.locator("a[href*='ghn.vn']")
    expect(link).to_have_attribute("href", f"https://donhang.ghn.vn/?order_code={TRACKING_NUMBER}")
    expect(main.locator("section.card", has_text=story.wine_maker)).not_to_contain_text(TRACKING_NUMBER)
    shot("tracking-shipped")

    text = main.inner_text()
    for personal in (GUEST.name, GUEST.email, GUEST.line1, GUEST.ward, "0987", "654 321"):
        assert personal not in text, f"the public tracking page shows {personal!r}"
    for price in ("320.000", "900.000"):
        assert price not in text  # prices stay with the shopper's own order page
    no_console_errors(page)


def test_an_admin_exports_the_months_sales_as_csv_and_xlsx(page, shots, ordered):
    story = ordered
    shot = shots("4-admin-exports")
    log_in(page, story.admin, shot)
    page.goto("/admin/stats/exports")
    today = local_today()
    page.fill("#from", today.replace(day=1).isoformat())
    page.fill("#to", today.isoformat())
    page.select_option("#level", "lines")
    shot("exports-form")

    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("CSV")).click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    lines = [row for row in rows[1:] if story.order_code in row]
    assert sorted(row[2] for row in lines) == sorted([story.honey, story.wine])
    assert download.value.suggested_filename.endswith(".csv")

    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("XLSX")).click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True).active
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert sorted(row[2] for row in cells[1:] if story.order_code in row) == sorted([story.honey, story.wine])
    shot("exports-downloaded")
    no_console_errors(page)

