"""The adjusting invoice of a refund after issue, issued through the Viettel S-Invoice
connector (against the local stand-in of its documented web services): the reference to
the original invoice, success, rejection, timeout and retry without a second adjustment,
what the shopper sees and gets, and the portal's and API's ways to it."""
from __future__ import annotations

import sqlalchemy as sa
import pytest

import factories
from invoice_helpers import COMPANY, local, sinvoice
from marketplace.extensions import db as _db
from marketplace.invoicing.connectors.base import Rejected, Unavailable
from marketplace.invoicing.issuing import adjust_with, adjustment_uuid, issue_with, transaction_uuid
from marketplace.invoicing.models import PartInvoice
from marketplace.invoicing.services import adjustment_data, record_issue
from marketplace.mail.models import OutgoingMail
from marketplace.payments.models import Refund

DETAILS = {"provider": "viettel", "username": "0100112437", "password": "secret",
           "supplier_tax_code": "0100112437", "template_code": "1/001", "series": "C26TAA"}
MARCH_1_MS = 1_772_323_200_000  # 2026-03-01 00:00 UTC: how S-Invoice dates the original


def refund(part, amount: int) -> None:
    _db.session.add(Refund(order_id=part.order_id, part_id=part.id, amount_vnd=amount, method="manual",
                           status="succeeded", refunded_at=local(2026, 3, 4, 9)))
    _db.session.commit()


def _invoice() -> PartInvoice:
    _db.session.expire_all()
    return _db.session.scalar(sa.select(PartInvoice))


def _mails(word: str) -> list[OutgoingMail]:
    return _db.session.scalars(sa.select(OutgoingMail).where(OutgoingMail.subject.contains(word))).all()


def test_the_adjustment_refers_to_the_original_and_is_recorded(standin, part):
    issue_with(part, sinvoice(standin), pause=0)
    refund(part, 100_000)
    invoice = adjust_with(part, sinvoice(standin), pause=0)
    assert (invoice.status, invoice.adjust_series, invoice.adjust_number, invoice.adjust_lookup_code) == (
        "adjusted", "C26TAA", "2", "RES00002")
    assert invoice.adjusted_on is not None and invoice.adjusted_on >= invoice.issued_on
    original, sent = standin.creates
    general = sent["generalInvoiceInfo"]
    assert (general["adjustmentType"], general["adjustmentInvoiceType"], general["originalInvoiceId"],
            general["originalTemplateCode"]) == ("5", "1", "C26TAA1", "1/001")
    assert general["originalInvoiceIssueDate"] == original["generalInvoiceInfo"]["invoiceIssuedDate"] == MARCH_1_MS
    assert part.order.code in general["additionalReferenceDesc"]
    # Its own key, not the original's: the original's key was already used at the provider.
    assert general["transactionUuid"] == adjustment_uuid(part) != transaction_uuid(part)
    # A decrease of the refunded share of each line, amounts positive as the API wants them.
    assert all(item["isIncreaseItem"] is False for item in sent["itemInfo"])
    assert sum(item["itemTotalAmountWithTax"] for item in sent["itemInfo"]) == 100_000
    assert sent["summarizeInfo"]["totalAmountWithTax"] == 100_000
    assert sent["summarizeInfo"]["isTotalAmountPos"] is False
    assert standin.adjustments == [{**standin.invoices[adjustment_uuid(part)], "original": "C26TAA1"}]
    # The buyer is told, in the order's language, through the outbox.
    (mail,) = _mails("điều chỉnh")
    assert mail.recipients == COMPANY["email"]
    assert "RES00002" in mail.body_text and "C26TAA" in mail.body_text and "100.000" in mail.body_text


def test_an_invoice_recorded_by_hand_can_be_adjusted_when_the_provider_holds_it(standin, part):
    # The producer issued it in S-Invoice's own portal and typed it in here.
    standin.portal_invoices["C26TAA7"] = {"invoiceNo": "C26TAA7", "issueDate": MARCH_1_MS + 86_400_000,
                                          "templateCode": "1/001", "total": part.total_vnd}
    record_issue(part, {"series": "C26TAA", "number": "7", "lookup_code": "HAND7", "issued_on": "2026-03-02"})
    refund(part, part.total_vnd)
    invoice = adjust_with(part, sinvoice(standin), pause=0)
    assert invoice.status == "adjusted" and invoice.adjust_number == "8"
    general = standin.creates[0]["generalInvoiceInfo"]
    assert (general["originalInvoiceId"], general["originalInvoiceIssueDate"]) == ("C26TAA7",
                                                                                  MARCH_1_MS + 86_400_000)
    assert standin.creates[0]["summarizeInfo"]["totalAmountWithTax"] == part.total_vnd


def test_the_adjustment_names_the_template_the_invoice_was_issued_under(client, seller, standin, part):
    factories.login_as(client, seller.user)
    client.put("/api/v1/seller/invoice-connection", json=DETAILS)
    issued = client.post(f"/api/v1/seller/order-parts/{part.id}/invoice/issue").json["invoice"]
    assert (issued["template_code"], issued["series"]) == ("1/001", "C26TAA")
    # The producer moves to another registered template and series before the refund.
    standin.templates.append({"templateCode": "1/002", "invoiceSeri": "C26TAB", "invoiceType": "1"})
    client.put("/api/v1/seller/invoice-connection", json={**DETAILS, "template_code": "1/002", "series": "C26TAB"})
    refund(part, 100_000)
    assert "data-adjust-template-guess" not in client.get(f"/seller/orders/{part.id}").get_data(as_text=True)
    done = client.post(f"/api/v1/seller/order-parts/{part.id}/invoice/adjust")
    assert done.status_code == 200, done.json
    general = standin.creates[-1]["generalInvoiceInfo"]
    assert (general["originalTemplateCode"], general["originalInvoiceId"]) == ("1/001", "C26TAA1")
    assert (general["templateCode"], general["invoiceSeries"]) == ("1/002", "C26TAB")
    assert done.json["invoice"]["adjustment"]["series"] == "C26TAB"


def test_the_stand_in_refuses_an_original_named_under_another_template(standin, part):
    issue_with(part, sinvoice(standin), pause=0)
    refund(part, 100_000)
    data = adjustment_data(part)
    data.related.template_code = "2/001"
    with pytest.raises(Rejected) as caught:
        sinvoice(standin).adjust(data, "k-template")
    assert caught.value.code == "ORIGINAL_TEMPLATE_CODE_INVALID" and standin.adjustments == []


def test_a_template_code_recorded_by_hand_is_the_one_the_adjustment_names(client, seller, standin, part):
    standin.templates.append({"templateCode": "1/002", "invoiceSeri": "C26TAB", "invoiceType": "1"})
    standin.portal_invoices["C26TAA7"] = {"invoiceNo": "C26TAA7", "issueDate": MARCH_1_MS, "templateCode": "1/001",
                                          "total": part.total_vnd}
    factories.login_as(client, seller.user)
    client.put("/api/v1/seller/invoice-connection", json={**DETAILS, "template_code": "1/002", "series": "C26TAB"})
    wrong = client.put(f"/api/v1/seller/order-parts/{part.id}/invoice", json={
        "series": "C26TAA", "number": "7", "lookup_code": "HAND7", "issued_on": "2026-03-01", "template_code": "1-001"})
    assert wrong.status_code == 422 and "template_code" in wrong.json["error"]["fields"]
    client.post(f"/seller/orders/{part.id}/invoice", data={
        "series": "C26TAA", "number": "7", "lookup_code": "HAND7", "issued_on": "2026-03-01", "template_code": "1/001"})
    assert _invoice().template_code == "1/001"
    refund(part, 100_000)
    assert client.post(f"/api/v1/seller/order-parts/{part.id}/invoice/adjust").status_code == 200
    assert standin.creates[-1]["generalInvoiceInfo"]["originalTemplateCode"] == "1/001"


def test_without_a_recorded_template_code_the_connections_is_used_and_said(client, seller, standin, part):
    standin.portal_invoices["C26TAA7"] = {"invoiceNo": "C26TAA7", "issueDate": MARCH_1_MS, "templateCode": "1/001",
                                          "total": part.total_vnd}
    factories.login_as(client, seller.user)
    client.put("/api/v1/seller/invoice-connection", json=DETAILS)
    recorded = client.put(f"/api/v1/seller/order-parts/{part.id}/invoice", json={
        "series": "C26TAA", "number": "7", "lookup_code": "HAND7", "issued_on": "2026-03-01"})  # as before: no code
    assert recorded.status_code == 200 and recorded.json["invoice"]["template_code"] is None
    refund(part, 100_000)
    page = client.get(f"/seller/orders/{part.id}").get_data(as_text=True)
    assert "data-adjust-template-guess" in page and "sẽ dẫn chiếu mẫu số 1/001 của kết nối" in page
    assert client.post(f"/api/v1/seller/order-parts/{part.id}/invoice/adjust").status_code == 200
    assert standin.creates[-1]["generalInvoiceInfo"]["originalTemplateCode"] == "1/001"


def test_an_original_the_provider_does_not_hold_is_refused_and_stays_due(standin, part):
    record_issue(part, {"series": "C26TAA", "number": "9", "lookup_code": "ELSEWHERE", "issued_on": "2026-03-02"})
    refund(part, 50_000)
    with pytest.raises(Rejected) as caught:
        adjust_with(part, sinvoice(standin), pause=0)
    assert caught.value.code == "ORIGINAL_INVOICE_NOT_FOUND"
    assert standin.searches == 0 and standin.adjustments == []
    _db.session.rollback()
    assert _invoice().status == "issued" and _invoice().adjust_number is None
    assert _mails("điều chỉnh") == []


def test_the_stand_in_checks_the_reference_as_documented(standin, part):
    issue_with(part, sinvoice(standin), pause=0)
    refund(part, 100_000)
    data = adjustment_data(part)
    data.related.issued_on = data.related.issued_on.replace(day=2)
    with pytest.raises(Rejected) as wrong_date:
        sinvoice(standin).adjust(data, "k-1")
    assert wrong_date.value.code == "ORIGINAL_INVOICE_ISSUE_DATE_INVALID"
    data = adjustment_data(part)
    data.lines[0].gross_vnd += part.total_vnd  # more than the original holds
    with pytest.raises(Rejected) as too_much:
        sinvoice(standin).adjust(data, "k-2")
    assert too_much.value.code == "ADJUSTMENT_AMOUNT_INVALID"
    with pytest.raises(ValueError):
        sinvoice(standin).issue(adjustment_data(part), "k-3")  # an adjustment never goes out as an original
    assert standin.adjustments == []


def test_a_timeout_is_retried_without_a_second_adjustment(standin, part):
    issue_with(part, sinvoice(standin), pause=0)
    refund(part, 100_000)
    standin.behaviour = ["slow"]  # adjusted, but answered after the connector gave up waiting
    invoice = adjust_with(part, sinvoice(standin, timeout=0.3), pause=0)
    assert len(standin.creates) == 2 and standin.searches == 1 and len(standin.adjustments) == 1
    assert (invoice.adjust_number, invoice.adjust_lookup_code) == ("2", "RES00002")


def test_an_outage_records_nothing_and_a_later_run_adjusts_once(standin, part):
    issue_with(part, sinvoice(standin), pause=0)
    refund(part, 100_000)
    standin.behaviour = ["error500"] * 3
    with pytest.raises(Unavailable):
        adjust_with(part, sinvoice(standin), attempts=3, pause=0)
    _db.session.rollback()
    assert _invoice().status == "issued"
    keys = [c["generalInvoiceInfo"]["transactionUuid"] for c in standin.creates[1:]]
    assert keys == [adjustment_uuid(part)] * 3
    adjust_with(part, sinvoice(standin), pause=0)
    assert len(standin.adjustments) == 1 and _invoice().status == "adjusted"


def test_nothing_is_sent_when_no_adjustment_is_due(standin, part):
    issue_with(part, sinvoice(standin), pause=0)
    from marketplace.errors import Conflict
    with pytest.raises(Conflict) as caught:
        adjust_with(part, sinvoice(standin), pause=0)
    assert caught.value.code == "no_adjustment_due" and len(standin.creates) == 1


# ------------------------------------------------------------------ API and portal

def test_the_api_adjusts_once_and_says_every_failure(client, seller, standin, part):
    factories.login_as(client, seller.user)
    url = f"/api/v1/seller/order-parts/{part.id}/invoice/adjust"
    assert client.post(url).json["error"]["code"] == "not_connected"
    client.put("/api/v1/seller/invoice-connection", json=DETAILS)
    client.post(f"/api/v1/seller/order-parts/{part.id}/invoice/issue")
    assert client.post(url).json["error"]["code"] == "no_adjustment_due"
    refund(part, 100_000)
    standin.behaviour = ["reject"]
    refused = client.post(url)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "provider_rejected"
    assert refused.json["error"]["provider_code"] == "INVOICE_TEMPLATE_NOT_FOUND"
    standin.behaviour = ["error500"] * 3
    down = client.post(url)
    assert down.status_code == 503 and down.json["error"]["code"] == "provider_unavailable"
    assert _invoice().status == "issued"
    done = client.post(url)
    assert done.status_code == 200, done.json
    assert done.json["adjustment_due"] is False and done.json["invoice"]["status"] == "adjusted"
    assert done.json["invoice"]["adjustment"] == {"series": "C26TAA", "number": "2", "lookup_code": "RES00002",
                                                  "issued_on": _invoice().adjusted_on.isoformat()}
    again = client.post(url)
    assert again.status_code == 409 and again.json["error"]["code"] == "no_adjustment_due"
    assert len(standin.adjustments) == 1


def test_another_producer_cannot_adjust_a_part_that_is_not_its_own(client, standin, part, other_seller):
    record_issue(part, {"series": "C26TAA", "number": "9", "lookup_code": "L9", "issued_on": "2026-03-02"})
    refund(part, 50_000)
    factories.login_as(client, other_seller.user)
    client.put("/api/v1/seller/invoice-connection", json=DETAILS)
    assert client.post(f"/api/v1/seller/order-parts/{part.id}/invoice/adjust").status_code == 404
    assert client.post(f"/seller/orders/{part.id}/invoice/adjust").status_code == 404
    assert standin.creates == [] and _invoice().status == "issued"


def test_the_parts_page_adjusts_and_the_shopper_sees_it_in_english(client, seller, standin, part):
    _db.session.execute(sa.text("UPDATE orders SET contact_lang = 'en' WHERE id = :id"), {"id": part.order_id})
    _db.session.commit()
    code = part.order.code
    factories.login_as(client, seller.user)
    client.post("/seller/invoices/connection", data=DETAILS)
    client.post(f"/seller/orders/{part.id}/invoice/issue")
    assert "data-adjust-through-provider" not in client.get(f"/seller/orders/{part.id}").get_data(as_text=True)
    refund(part, 100_000)
    page = client.get(f"/seller/orders/{part.id}").get_data(as_text=True)
    assert "data-adjust-through-provider" in page and "Lập hóa đơn điều chỉnh qua Viettel S-Invoice" in page
    done = client.post(f"/seller/orders/{part.id}/invoice/adjust", follow_redirects=True).get_data(as_text=True)
    assert "data-invoice-adjusted" in done and "RES00002" in done and "data-adjust-through-provider" not in done
    (mail,) = _mails("Adjusting e-invoice")
    assert mail.recipients == COMPANY["email"] and "RES00002" in mail.body_text and "Lookup code" in mail.body_text
    client.post("/auth/logout")
    order_page = client.get(f"/orders/{code}").get_data(as_text=True)
    assert "data-invoice-adjusted" in order_page and "RES00002" in order_page
