"""A browser journey of issue 25: a company buyer asks for a VAT invoice at checkout and pays;
the producer sees the request, downloads the invoice XML and records the issued invoice; the
buyer's order page then says "invoice issued" with the lookup code. After a refund the producer
sees that an adjustment is due and issues the adjusting invoice through its connected provider
(the local S-Invoice stand-in); the buyer's order page then shows the adjusting invoice.
Screenshots: test-artifacts/screenshots/invoice-journey/."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.invoicing import connection, rates
from marketplace.orders.models import OrderPart
from marketplace.payments.models import Refund
from marketplace.timeutil import LOCAL_TZ, local_today
from tests import factories as f
from tests.browser.steps import add_to_cart, fill_checkout_contact, log_in, no_console_errors
from tests.browser.test_journeys import GUEST, VN_TIME_FORMAT, WAIT_MS, order_row, post_sepay_notification
from tests.invoicing.sinvoice_standin import StandIn
from tests.payments.helpers import ACCOUNT_NO, SEPAY_KEY, sepay_body

expect = pytest.importorskip("playwright.sync_api", reason="browser journeys not run: the Python package "
                             "playwright is not installed (pip install -r requirements-dev.txt)").expect

COMPANY = SimpleNamespace(name="Công ty TNHH Quà tặng Hạ Long", tax_code="0100109106",
                          address="Số 1 Lê Thánh Tông, Phường Hồng Gai, Quảng Ninh", email="ketoan@quatang.vn")


@pytest.fixture
def shop(app):
    saved = {k: app.config.get(k) for k in ("SEPAY_API_KEY", "VIETQR_ACCOUNT_NO", "VIETQR_BANK_BIN")}
    app.config.update(SEPAY_API_KEY=SEPAY_KEY, VIETQR_ACCOUNT_NO=ACCOUNT_NO, VIETQR_BANK_BIN="970436")
    with app.app_context():
        food = f.category("Thực phẩm", "Food")
        food.slug = "thuc-pham"
        db.session.commit()
        rates.seed_rates()
        maker = f.producer("HTX Chả mực Hạ Long", kind="cooperative", tax_code="0100112437")
        squid = f.product("Chả mực Hạ Long", price_vnd=324_000, stars=4, prod=maker, cat=food)
        s = SimpleNamespace(slug=squid.slug, product=squid.name, producer_id=maker.id,
                            seller=f.user("seller", email="banhang@chamuc.vn", producer_id=maker.id).email)
        db.session.remove()
    yield s
    app.config.update(saved)


@pytest.fixture
def sinvoice(app):
    """The S-Invoice stand-in (the producer's tax code is its supplier), the app pointed at it."""
    saved = {k: app.config.get(k) for k in ("SINVOICE_BASE_URL", "SINVOICE_TIMEOUT_S", "SINVOICE_RETRY_PAUSE_S")}
    with StandIn() as server:
        app.config.update(SINVOICE_BASE_URL=server.url, SINVOICE_TIMEOUT_S=2, SINVOICE_RETRY_PAUSE_S=0)
        yield server
    app.config.update(saved)


def _connect_and_refund(app, sinvoice, shop, order, series: str, number: str) -> None:
    """What happens outside the journey: the invoice the producer typed in is the one it issued
    in S-Invoice's portal; it connects its S-Invoice account; an admin refunds 100,000 VND."""
    today = local_today()
    sinvoice.portal_invoices[f"{series}{number}"] = {
        "invoiceNo": f"{series}{number}", "templateCode": "1/001", "total": order.total_vnd,
        "issueDate": int(datetime(today.year, today.month, today.day, tzinfo=timezone.utc).timestamp() * 1000)}
    with app.app_context():
        connection.save(shop.producer_id, {"provider": "viettel", "username": "0100112437", "password": "secret",
                                           "supplier_tax_code": "0100112437", "template_code": "1/001",
                                           "series": series})
        part_id = db.session.scalar(sa.select(OrderPart.id).where(OrderPart.order_id == order.id))
        db.session.add(Refund(order_id=order.id, part_id=part_id, amount_vnd=100_000, method="manual",
                              status="succeeded", refunded_at=datetime.now(timezone.utc)))
        db.session.commit()
        db.session.remove()


def test_a_company_buyer_gets_its_vat_invoice_and_its_adjustment(app, browser, live_server, page, shots, shop,
                                                                   sinvoice):
    shot = shots("invoice-journey")
    page.goto(f"/products/{shop.slug}")
    add_to_cart(page, quantity=2)
    page.goto("/checkout")
    fill_checkout_contact(page, GUEST)
    page.check("input[name='invoice-kind'][value=company]")
    page.fill("#invoice-name", COMPANY.name)
    page.fill("#invoice-tax_code", "0100109107")  # a typo: the check digit catches it
    page.fill("#invoice-address", COMPANY.address)
    page.fill("#invoice-email", COMPANY.email)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("chữ số kiểm tra")
    shot("checkout-wrong-tax-code")
    page.fill("#invoice-tax_code", COMPANY.tax_code)
    shot("checkout-company-invoice")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/orders/[^/?]+\?placed=1"))
    code = re.search(r"/orders/([^/?]+)", page.url).group(1)
    expect(page.locator("main [data-invoice-request]")).to_contain_text(COMPANY.name)
    order = order_row(app, code)
    now = datetime.now(tz=LOCAL_TZ).strftime(VN_TIME_FORMAT)
    assert post_sepay_notification(live_server, sepay_body(order.payment_reference, order.total_vnd,
                                                           txn_id=881_001, when=now))["success"] is True
    expect(page.locator("main aside")).to_contain_text("Đã thanh toán", timeout=WAIT_MS)
    shot("buyer-paid")

    # The producer, in its own browser.
    seller_context = browser.new_context(base_url=live_server, locale="vi-VN", viewport={"width": 1280, "height": 900})
    seller = seller_context.new_page()
    seller.console_errors = []
    seller.on("console", lambda msg: seller.console_errors.append(msg.text) if msg.type == "error" else None)
    try:
        log_in(seller, shop.seller)
        seller.goto("/seller/orders")
        seller.locator("main tr", has_text=code).locator("a").first.click()
        panel = seller.locator("#invoice")
        expect(panel).to_contain_text(COMPANY.tax_code)
        expect(panel).to_contain_text("Hóa đơn giá trị gia tăng")
        with seller.expect_download() as download:
            panel.get_by_role("link", name="Tải XML hóa đơn").click()
        root = ET.parse(download.value.path()).getroot()
        assert root.findtext("DLHDon/NDHDon/NMua/MST") == COMPANY.tax_code
        assert root.findtext("DLHDon/NDHDon/TToan/TgTTTBSo") == str(order.total_vnd)
        seller.fill("#inv-series-False", "C26TAA")
        seller.fill("#inv-number-False", "57")
        seller.fill("#inv-lookup-False", "HLX7Q2M9")
        seller.fill("#inv-date-False", local_today().isoformat())
        seller.fill("#inv-template-code", "1/001")
        Shots = type(shot)
        seller_shot = Shots(seller, "invoice-journey")
        seller_shot.n = 10
        seller_shot("seller-records-invoice")
        panel.get_by_role("button", name="Lưu").click()
        expect(seller.locator("main .alert-success")).to_contain_text("Đã ghi hóa đơn")
        expect(seller.locator("#invoice [data-invoice-issued]")).to_contain_text("HLX7Q2M9")
        seller_shot("seller-invoice-recorded")
        page.reload()
        issued = page.locator("main [data-invoice-issued]")
        expect(issued).to_contain_text("Đã xuất hóa đơn")
        expect(issued).to_contain_text("HLX7Q2M9")
        shot("buyer-sees-invoice")

        # A refund after issue: the producer issues the adjusting invoice through S-Invoice.
        _connect_and_refund(app, sinvoice, shop, order, "C26TAA", "57")
        seller.reload()
        expect(seller.locator("#invoice [data-adjustment-due]")).to_contain_text("100.000")
        seller_shot("seller-adjustment-due")
        seller.locator("#invoice [data-adjust-through-provider]").click()
        expect(seller.locator("main .alert-success")).to_contain_text("C26TAA")
        expect(seller.locator("#invoice [data-invoice-adjusted]")).to_contain_text("RES00058")
        seller_shot("seller-adjusting-invoice-issued")
        (sent,) = sinvoice.creates
        assert sent["generalInvoiceInfo"]["originalInvoiceId"] == "C26TAA57"
        assert sent["generalInvoiceInfo"]["originalTemplateCode"] == "1/001"
        no_console_errors(seller)
    finally:
        seller_context.close()

    page.reload()
    adjusted = page.locator("main [data-invoice-adjusted]")
    expect(adjusted).to_contain_text("C26TAA")
    expect(adjusted).to_contain_text("RES00058")
    shot("buyer-sees-adjusting-invoice")
    no_console_errors(page)
