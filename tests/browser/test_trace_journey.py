"""Traceability in a real browser: a producer prints a sheet of labels for a lot from the seller
portal, and a shopper "scans" one (opens the URL its QR carries) on a phone-sized window and
reads the lot's passport. Screenshots: test-artifacts/screenshots/trace-labels-and-passport/."""
from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.timeutil import local_today
from marketplace.traceability.lots import create_lot
from tests import factories as f
from tests.browser.steps import log_in, no_console_errors

expect = pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed").expect
pymupdf = pytest.importorskip("pymupdf", reason="pip install -r requirements-dev.txt (pymupdf)")
zxingcpp = pytest.importorskip("zxingcpp", reason="pip install -r requirements-dev.txt (zxing-cpp)")

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def lot(db):
    maker = f.producer("HTX Mật ong Ba Chẽ")
    seller = f.user("seller", email="ban-hang@mat-ong.vn", producer_id=maker.id)
    honey = f.product("Mật ong rừng Ba Chẽ", prod=maker, stars=4)
    today = local_today()
    return create_lot(maker.id, honey.id, seller, {
        "code": "BC-2026-07", "produced_on": (today - timedelta(days=5)).isoformat(),
        "best_before": (today + timedelta(days=360)).isoformat(), "quantity": 300,
        "origin": {"ward_code": f.locality("Thanh Sơn", region="Ba Chẽ").slug},
        "process": ["Thu hoạch mật từ rừng keo", "Lọc và đóng lọ"], "inputs": ["Mật ong rừng"]})


def _qr_links(pdf: bytes) -> list[str]:
    from PIL import Image

    document = pymupdf.open(stream=pdf, filetype="pdf")
    assert document.page_count == 1
    pixmap = document[0].get_pixmap(dpi=200, colorspace=pymupdf.csGRAY)
    image = Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples)
    return [code.text for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def test_the_producer_prints_labels_and_a_phone_opens_the_passport(browser, live_server, page, shots, lot):
    shot = shots("trace-labels-and-passport")
    log_in(page, "ban-hang@mat-ong.vn")
    page.goto(f"/seller/lots/{lot.id}")
    expect(page.get_by_role("heading", name="Lô BC-2026-07")).to_be_visible()
    page.select_option("#f-layout", "4x10")
    page.fill("#f-count", "8")
    shot("seller-lot")
    # The button opens the PDF in a new tab; the same GET with the browser's own cookies.
    url = page.eval_on_selector("#labels form", "form => form.action + '?' + new URLSearchParams(new FormData(form))")
    pdf = page.request.get(url)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    links = _qr_links(pdf.body())
    assert len(links) == 8 and len(set(links)) == 1
    link = links[0]
    assert link.startswith(live_server + "/p/") and "/10/BC-2026-07?s=" in link
    no_console_errors(page)

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN",
                                device_scale_factor=2)
    try:
        scan = phone.new_page()
        scan.goto(link)
        assert scan.url == f"{live_server}/lots/{lot.id}"
        expect(scan.get_by_role("heading", name="Mật ong rừng Ba Chẽ")).to_be_visible()
        expect(scan.get_by_text("BC-2026-07", exact=True)).to_be_visible()
        expect(scan.get_by_text("Thanh Sơn")).to_be_visible()
        expect(scan.locator("[data-scans]")).to_have_attribute("data-scans", "1")
        expect(scan.get_by_text("Báo nghi ngờ hàng giả")).to_be_visible()
        assert scan.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        scan.screenshot(path=str(shot.folder / "02-phone-passport.png"), full_page=True)

        forged = phone.new_page()
        forged.goto(link.rsplit("?s=", 1)[0] + "?s=AAAAAAAAAAA")
        expect(forged.get_by_role("heading", name="Không phải mã chính hãng")).to_be_visible()
    finally:
        phone.close()
