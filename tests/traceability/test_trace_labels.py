"""Printable labels: A4 sheets in two layouts, every QR decodes to the lot's signed Digital Link."""
from __future__ import annotations

import pymupdf
import pytest
import zxingcpp
from PIL import Image

from trace_helpers import make_lot
from marketplace.traceability.links import digital_link


def _pages(pdf: bytes) -> list[Image.Image]:
    document = pymupdf.open(stream=pdf, filetype="pdf")
    images = []
    for page in document:
        assert (round(page.rect.width), round(page.rect.height)) == (595, 842)  # A4 in points
        pixmap = page.get_pixmap(dpi=200, colorspace=pymupdf.csGRAY)
        images.append(Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples))
    return images


def _text(pdf: bytes) -> str:
    return "".join(page.get_text() for page in pymupdf.open(stream=pdf, filetype="pdf"))


@pytest.mark.parametrize("layout,count,pages,last_page", [("3x8", 30, 2, 6), ("4x10", 40, 1, 40)])
def test_label_sheets_carry_the_signed_link_on_every_label(seller_client, db, honey, layout, count, pages,
                                                           last_page):
    lot = make_lot(honey)
    response = seller_client.get(f"/seller/lots/{lot.id}/labels.pdf?layout={layout}&count={count}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    images = _pages(response.data)
    assert len(images) == pages
    link = digital_link(lot, signed=True)
    per_page = {"3x8": 24, "4x10": 40}[layout]
    for number, image in enumerate(images, start=1):
        codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        expected = per_page if number < pages else last_page
        assert [code.text for code in codes] == [link] * expected


def test_labels_show_product_stars_lot_and_best_before_in_both_languages(seller_client, db, honey):
    lot = make_lot(honey)
    text = _text(seller_client.get(f"/api/v1/seller/lots/{lot.id}/labels.pdf?count=1").data)
    assert "Mật ong rừng" in text  # the product name, in Vietnamese glyphs (embedded font)
    assert "OCOP ★★★★" in text
    assert "BC-2026-01" in text
    assert lot.best_before.strftime("%d/%m/%Y") in text
    flat = " ".join(text.split())
    assert "Hạn sử dụng / Best before:" in flat and "Lô / Lot:" in flat and "Quét để truy xuất / Scan to trace" in flat
    assert "Quét để truy xuất" in text


@pytest.mark.parametrize("query,field", [("layout=5x5", "layout"), ("count=0", "count"), ("count=abc", "count"),
                                         ("count=5001", "count")])
def test_bad_label_requests_are_field_errors(seller_client, db, honey, query, field):
    lot = make_lot(honey)
    response = seller_client.get(f"/api/v1/seller/lots/{lot.id}/labels.pdf?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert seller_client.get(f"/seller/lots/{lot.id}/labels.pdf?{query}").status_code == 422
