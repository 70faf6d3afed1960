"""Recording an issued invoice (web and API), what the buyer sees and gets, adjustments after a refund."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa

import factories
from invoice_helpers import COMPANY, local, mark_paid, part_of, place
from marketplace.extensions import db as _db
from marketplace.invoicing.models import PartInvoice
from marketplace.mail.models import OutgoingMail
from marketplace.payments.models import Refund

ISSUED = {"series": "C26TAA", "number": "123", "lookup_code": "QN8F2K7X1", "issued_on": "2026-03-02"}


@pytest.fixture
def paid_part(client, db, groups, seller, other_seller):
    food, _fresh = groups
    tea = factories.product("Trà hoa vàng", prod=seller.producer, cat=food, price_vnd=350_000)
    sauce = factories.product("Nước mắm", prod=other_seller.producer, cat=food, price_vnd=120_000)
    order = mark_paid(place(client, [(tea, 2), (sauce, 1)], invoice=COMPANY).json["order"]["code"],
                      local(2026, 3, 1, 9))
    return order, part_of(order, seller.producer)


def test_the_producer_records_the_invoice_and_the_buyer_sees_it(client, paid_part, seller):
    order, part = paid_part
    factories.login_as(client, seller.user)
    answer = client.put(f"/api/v1/seller/order-parts/{part.id}/invoice", json=ISSUED)
    assert answer.status_code == 200, answer.json
    assert answer.json["invoice"] == {"series": "C26TAA", "number": "123", "lookup_code": "QN8F2K7X1",
                                      "issued_on": "2026-03-02", "template": "1", "template_code": None,
                                      "source": "manual", "status": "issued"}
    assert answer.json["adjustment_due"] is False
    mail = _db.session.scalars(sa.select(OutgoingMail).where(OutgoingMail.subject.contains("Hóa đơn"))).all()
    assert [m.recipients for m in mail] == [COMPANY["email"]]
    assert "QN8F2K7X1" in mail[0].body_text and "C26TAA" in mail[0].body_text
    # Once only.
    again = client.put(f"/api/v1/seller/order-parts/{part.id}/invoice", json={**ISSUED, "number": "124"})
    assert again.status_code == 409 and again.json["error"]["code"] == "invoice_already_recorded"
    # The buyer's order page (this client placed the order as a guest: its session remembers it).
    page = client.get(f"/orders/{order.code}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Đã xuất hóa đơn" in text and "QN8F2K7X1" in text
    assert client.get(f"/orders/{order.code}?lang=en").get_data(as_text=True).count("Invoice issued") == 1


def test_the_record_is_checked(client, paid_part, seller, other_seller):
    order, part = paid_part
    factories.login_as(client, seller.user)
    url = f"/api/v1/seller/order-parts/{part.id}/invoice"
    bad = client.put(url, json={"series": "X1", "number": "abc", "lookup_code": "", "issued_on": "2030-01-01"})
    assert bad.status_code == 422
    assert set(bad.json["error"]["fields"]) == {"series", "number", "lookup_code", "issued_on"}
    before_payment = client.put(url, json={**ISSUED, "issued_on": "2026-02-27"})
    assert before_payment.status_code == 422 and "issued_on" in before_payment.json["error"]["fields"]
    assert client.put(url, json={**ISSUED, "number": [1]}).status_code == 422
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(PartInvoice)) == 0
    assert client.put(url, json=ISSUED).status_code == 200
    # The same series and number cannot be used twice by one producer.
    food = factories.category()
    more = factories.product(prod=seller.producer, cat=food)
    second = mark_paid(place(client, [(more, 1)]).json["order"]["code"], local(2026, 3, 1, 10))
    clash = client.put(f"/api/v1/seller/order-parts/{part_of(second, seller.producer).id}/invoice", json=ISSUED)
    assert clash.status_code == 409 and clash.json["error"]["code"] == "invoice_number_used"


def test_the_web_form_records_it_too(client, paid_part, seller):
    order, part = paid_part
    factories.login_as(client, seller.user)
    page = client.get(f"/seller/orders/{part.id}").get_data(as_text=True)
    assert "Ghi hóa đơn đã xuất" in page and COMPANY["name"] in page
    refused = client.post(f"/seller/orders/{part.id}/invoice", data={**ISSUED, "series": "bad"})
    assert refused.status_code == 302
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(PartInvoice)) == 0
    done = client.post(f"/seller/orders/{part.id}/invoice", data=ISSUED, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "Đã ghi hóa đơn" in text and "QN8F2K7X1" in text and "Ghi hóa đơn đã xuất" not in text


def test_a_refund_after_issue_makes_an_adjustment_due(client, paid_part, seller):
    order, part = paid_part
    factories.login_as(client, seller.user)
    url = f"/api/v1/seller/order-parts/{part.id}/invoice"
    assert client.get(f"/api/v1/seller/order-parts/{part.id}/invoice-adjustment.xml").status_code == 409
    client.put(url, json=ISSUED)
    assert client.get(url).json["adjustment_due"] is False
    # 350,000 of the part's 730,000 paid back.
    _db.session.add(Refund(order_id=order.id, part_id=part.id, amount_vnd=350_000, method="manual",
                           status="succeeded", refunded_at=local(2026, 3, 4, 9)))
    _db.session.add(Refund(order_id=order.id, part_id=part.id, amount_vnd=99_000, method="manual", status="failed"))
    _db.session.commit()
    state = client.get(url).json
    assert state["adjustment_due"] is True and state["refunded_vnd"] == 350_000
    assert state["invoice"]["status"] == "adjustment_due"
    page = client.get(f"/seller/orders/{part.id}").get_data(as_text=True)
    assert "cần lập hóa đơn điều chỉnh" in page
    answer = client.get(f"/api/v1/seller/order-parts/{part.id}/invoice-adjustment.xml")
    assert answer.status_code == 200
    root = ET.fromstring(answer.data)
    related = root.find("DLHDon/TTChung/TTHDLQuan")
    assert [(c.tag, c.text) for c in related][:6] == [
        ("TCHDon", "2"), ("LHDCLQuan", "1"), ("KHMSHDCLQuan", "1"), ("KHHDCLQuan", "C26TAA"),
        ("SHDCLQuan", "123"), ("NLHDCLQuan", "2026-03-02")]
    assert order.code in related.findtext("GChu")
    totals = root.find("DLHDon/NDHDon/TToan")
    assert totals.findtext("TgTTTBSo") == "-350000"
    assert totals.findtext("TgTTTBChu") == "Ba trăm năm mươi nghìn đồng"
    amounts = [int(v) for v in (e.text for e in root.findall(".//HHDVu/ThTien"))]
    assert all(a < 0 for a in amounts)
    assert int(totals.findtext("TgTCThue")) + int(totals.findtext("TgTThue")) == -350_000
    # Recording the adjusting invoice ends it.
    done = client.put(url, json={**ISSUED, "number": "130", "lookup_code": "ADJ1", "issued_on": "2026-03-04",
                                 "adjustment": True})
    assert done.status_code == 200, done.json
    assert done.json["adjustment_due"] is False and done.json["invoice"]["status"] == "adjusted"
    assert done.json["invoice"]["adjustment"]["number"] == "130"
    again = client.put(url, json={**ISSUED, "adjustment": True})
    assert again.status_code == 409 and again.json["error"]["code"] == "no_adjustment_due"


def test_a_cancelled_part_is_adjusted_in_full(client, paid_part, seller):
    order, part = paid_part
    factories.login_as(client, seller.user)
    client.put(f"/api/v1/seller/order-parts/{part.id}/invoice", json=ISSUED)
    _db.session.execute(sa.text("UPDATE order_parts SET status = 'cancelled' WHERE id = :id"), {"id": part.id})
    _db.session.commit()
    root = ET.fromstring(client.get(f"/seller/orders/{part.id}/invoice-adjustment.xml").data)
    assert root.findtext("DLHDon/NDHDon/TToan/TgTTTBSo") == str(-part.total_vnd)
    # Every line in full: 700,000 of tea with 8% VAT inside is 648,148 before tax.
    assert len(root.findall(".//HHDVu")) == len(part.lines) + (1 if part.shipping_vnd else 0)
    assert root.findtext(".//HHDVu/ThTien") == "-648148"
    totals = root.find("DLHDon/NDHDon/TToan")
    assert int(totals.findtext("TgTCThue")) + int(totals.findtext("TgTThue")) == -part.total_vnd
