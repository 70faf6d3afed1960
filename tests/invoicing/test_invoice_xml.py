"""The invoice XML of a part, element by element against Decision 1450/QĐ-TCT's structure
(HDon/DLHDon/TTChung, NDHDon/NBan, NMua, DSHHDVu/HHDVu, TToan), and the month's batch."""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

import pytest

import factories
from invoice_helpers import COMPANY, local, mark_paid, part_of, place
from marketplace.extensions import db as _db


def texts(root, path):
    return [e.text for e in root.findall(path)]


@pytest.fixture
def mixed_order(client, db, groups, seller):
    """A cooperative's part of 2 processed-food boxes (8%) and 3 kg of fresh produce (KCT), shipping 30,000."""
    food, fresh = groups
    seller.producer.tax_code, seller.producer.address = "0100112437", "Thôn Khe Tâm, xã Ba Chẽ, Quảng Ninh"
    seller.producer.email = "htx@example.vn"
    seller.producer.shipping_fee_vnd, seller.producer.free_shipping_threshold_vnd = 30_000, 10_000_000
    _db.session.commit()
    tea = factories.product("Chả mực Hạ Long", prod=seller.producer, cat=food, price_vnd=324_000)
    greens = factories.product("Rau rừng", prod=seller.producer, cat=fresh, price_vnd=50_000)
    code = place(client, [(tea, 2), (greens, 3)], invoice=COMPANY).json["order"]["code"]
    order = mark_paid(code, local(2026, 3, 1, 0, 30))  # 28 Feb 17:30 UTC: 1 March here
    return order, part_of(order, seller.producer), tea, greens


def test_a_cooperatives_part_is_a_vat_invoice_with_mixed_rates(client, mixed_order, seller):
    order, part, tea, greens = mixed_order
    factories.login_as(client, seller.user)
    answer = client.get(f"/api/v1/seller/order-parts/{part.id}/invoice.xml")
    assert answer.status_code == 200 and answer.mimetype == "application/xml"
    assert "attachment" in answer.headers["Content-Disposition"]
    assert answer.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(answer.data)
    assert root.tag == "HDon" and [c.tag for c in root] == ["DLHDon", "DSCKS"]
    body = root.find("DLHDon")
    assert [c.tag for c in body] == ["TTChung", "NDHDon"]
    general = body.find("TTChung")
    assert [c.tag for c in general][:9] == ["PBan", "THDon", "KHMSHDon", "KHHDon", "SHDon", "NLap", "DVTTe",
                                            "TGia", "HTTToan"]
    assert general.findtext("PBan") == "2.0.0"
    assert general.findtext("THDon") == "Hóa đơn giá trị gia tăng"
    assert general.findtext("KHMSHDon") == "1"
    assert general.findtext("NLap") == "2026-03-01"  # the local day of payment
    assert (general.findtext("DVTTe"), general.findtext("TGia"), general.findtext("HTTToan")) == ("VND", "1", "CK")
    content = body.find("NDHDon")
    assert [c.tag for c in content] == ["NBan", "NMua", "DSHHDVu", "TToan"]
    seller_el = content.find("NBan")
    assert (seller_el.findtext("Ten"), seller_el.findtext("MST"), seller_el.findtext("DChi"),
            seller_el.findtext("DCTDTu")) == (seller.producer.name, "0100112437",
                                             "Thôn Khe Tâm, xã Ba Chẽ, Quảng Ninh", "htx@example.vn")
    buyer = content.find("NMua")
    assert (buyer.findtext("Ten"), buyer.findtext("MST"), buyer.findtext("DChi"), buyer.findtext("DCTDTu")) == (
        COMPANY["name"], COMPANY["tax_code"], COMPANY["address"], COMPANY["email"])
    items = content.findall("DSHHDVu/HHDVu")
    assert len(items) == 3
    assert [c.tag for c in items[0]] == ["TChat", "STT", "MHHDVu", "THHDVu", "DVTinh", "SLuong", "DGia", "ThTien",
                                         "TSuat"]
    assert texts(content, "DSHHDVu/HHDVu/STT") == ["1", "2", "3"]
    assert texts(content, "DSHHDVu/HHDVu/THHDVu") == ["Chả mực Hạ Long", "Rau rừng", "Phí vận chuyển"]
    assert texts(content, "DSHHDVu/HHDVu/SLuong") == ["2", "3", "1"]
    assert texts(content, "DSHHDVu/HHDVu/TSuat") == ["8%", "KCT", "8%"]
    # 648,000 paid with 8% VAT inside: 600,000 before tax; the produce 150,000 untaxed; shipping 30,000 -> 27,778.
    assert texts(content, "DSHHDVu/HHDVu/ThTien") == ["600000", "150000", "27778"]
    assert texts(content, "DSHHDVu/HHDVu/DGia") == ["300000", "50000", "27778"]
    totals = content.find("TToan")
    groups = {g.findtext("TSuat"): (g.findtext("ThTien"), g.findtext("TThue"))
              for g in totals.findall("THTTLTSuat/LTSuat")}
    assert groups == {"8%": ("627778", "50222"), "KCT": ("150000", "0")}
    assert totals.findtext("TgTCThue") == "777778"
    assert totals.findtext("TgTThue") == "50222"
    assert totals.findtext("TgTTTBSo") == str(part.total_vnd) == "828000"
    assert totals.findtext("TgTTTBChu") == "Tám trăm hai mươi tám nghìn đồng"


def test_a_household_part_is_a_sales_invoice_without_vat(client, db, groups, other_seller):
    food, _fresh = groups
    other_seller.producer.kind = "household"
    _db.session.commit()
    sauce = factories.product("Nước mắm Cái Rồng", prod=other_seller.producer, cat=food, price_vnd=120_000)
    order = mark_paid(place(client, [(sauce, 2)]).json["order"]["code"], local(2026, 3, 5, 10))
    part = part_of(order, other_seller.producer)
    factories.login_as(client, other_seller.user)
    root = ET.fromstring(client.get(f"/seller/orders/{part.id}/invoice.xml").data)
    assert root.findtext("DLHDon/TTChung/THDon") == "Hóa đơn bán hàng"
    assert root.findtext("DLHDon/TTChung/KHMSHDon") == "2"
    assert root.findall(".//TSuat") == [] and root.find(".//TgTThue") is None
    # No invoice request: the shopper is the buyer.
    assert root.findtext("DLHDon/NDHDon/NMua/Ten") == "Nguyễn Thị Lan"
    assert root.find("DLHDon/NDHDon/NMua/MST") is None
    assert texts(root, "DLHDon/NDHDon/DSHHDVu/HHDVu/ThTien") == ["240000", str(part.shipping_vnd)]
    assert root.findtext("DLHDon/NDHDon/TToan/TgTTTBSo") == str(part.total_vnd)


def test_a_rate_missing_for_the_day_is_a_409_not_a_guess(client, db, seller):
    odd = factories.category("Khác", "Other")
    item = factories.product(prod=seller.producer, cat=odd)
    from marketplace.invoicing import rates

    rates.seed_rates()
    order = mark_paid(place(client, [(item, 1)]).json["order"]["code"], local(2026, 3, 5, 10))
    factories.login_as(client, seller.user)
    answer = client.get(f"/api/v1/seller/order-parts/{part_of(order, seller.producer).id}/invoice.xml")
    assert answer.status_code == 409 and answer.json["error"]["code"] == "vat_rate_missing"


def test_the_rate_follows_the_day_of_payment(client, db, groups, seller):
    food, _fresh = groups
    item = factories.product(prod=seller.producer, cat=food, price_vnd=110_000, stock=5)
    order = mark_paid(place(client, [(item, 1)]).json["order"]["code"], local(2027, 1, 1, 0, 5))
    factories.login_as(client, seller.user)
    root = ET.fromstring(client.get(f"/api/v1/seller/order-parts/{part_of(order, seller.producer).id}/invoice.xml")
                         .data)
    assert texts(root, ".//HHDVu/TSuat")[0] == "10%"  # the 2% reduction ended on 31 December 2026
    assert texts(root, ".//HHDVu/ThTien")[0] == "100000"


def test_the_months_batch_takes_local_months(client, db, groups, seller, other_seller):
    food, _fresh = groups
    item = factories.product(prod=seller.producer, cat=food, stock=20)
    theirs = factories.product(prod=other_seller.producer, cat=food, stock=20)
    codes = {}
    for name, when in (("feb_last", local(2026, 2, 28, 23, 59)), ("mar_first", local(2026, 3, 1, 0, 0)),
                       ("mar_last", local(2026, 3, 31, 23, 59)), ("apr_first", local(2026, 4, 1, 0, 0))):
        codes[name] = mark_paid(place(client, [(item, 1)]).json["order"]["code"], when).code
    mark_paid(place(client, [(theirs, 1)]).json["order"]["code"], local(2026, 3, 10))
    factories.login_as(client, seller.user)
    answer = client.get("/api/v1/seller/invoices.zip?month=2026-03")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(answer.data)).namelist()
    assert sorted(names) == sorted(n for n in names if codes["mar_first"] in n or codes["mar_last"] in n)
    assert len(names) == 2
    web = client.get("/seller/invoices?month=2026-03")
    assert web.status_code == 200 and web.mimetype == "application/zip"
    assert client.get("/api/v1/seller/invoices.zip?month=2026-13").status_code == 422
    assert client.get("/api/v1/seller/invoices.zip?month=soon").status_code == 422
    assert client.get("/seller/invoices").status_code == 200
    # API.md's one-document form of the same month: a DSHDon of the two HDon.
    whole = client.get("/api/v1/seller/invoices.xml?period=2026-03")
    assert whole.status_code == 200 and whole.mimetype == "application/xml"
    root = ET.fromstring(whole.data)
    assert root.tag == "DSHDon" and [child.tag for child in root] == ["HDon", "HDon"]
    assert all(h.findtext("DLHDon/NDHDon/NBan/Ten") == seller.producer.name for h in root)
    assert client.get("/api/v1/seller/invoices.xml?period=2026").json["error"]["fields"] == {"period": ["YYYY-MM"]}
    assert client.get("/api/v1/seller/invoices.xml").status_code == 422
