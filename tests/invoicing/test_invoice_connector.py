"""The Viettel S-Invoice connector against a local stand-in of its documented web services:
success, rejection, timeout and retry without a second invoice; and `flask invoices issue`
(with `--adjust` too)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from invoice_helpers import COMPANY, cli_issue, local, sinvoice
from marketplace.extensions import db as _db
from marketplace.invoicing.connectors.base import Rejected, Unavailable
from marketplace.invoicing.connectors.viettel import ViettelSInvoice
from marketplace.invoicing.issuing import issue_with, transaction_uuid
from marketplace.invoicing.models import PartInvoice
from marketplace.mail.models import OutgoingMail
from marketplace.payments.models import Refund


def _invoices():
    return _db.session.scalars(sa.select(PartInvoice)).all()


def test_success_records_the_invoice_and_emails_the_buyer(standin, part):
    invoice = issue_with(part, sinvoice(standin), pause=0)
    assert (invoice.series, invoice.number, invoice.lookup_code, invoice.source) == ("C26TAA", "1", "RES00001",
                                                                                  "viettel")
    assert invoice.transaction_uuid == transaction_uuid(part)
    (sent,) = standin.creates
    general = sent["generalInvoiceInfo"]
    assert (general["invoiceType"], general["templateCode"], general["invoiceSeries"], general["currencyCode"]) == (
        "01GTKT", "1/001", "C26TAA", "VND")
    assert sent["buyerInfo"]["buyerTaxCode"] == COMPANY["tax_code"]
    assert sent["buyerInfo"]["buyerLegalName"] == COMPANY["name"]
    assert [(i["itemName"], i["taxPercentage"], i["itemTotalAmountWithTax"]) for i in sent["itemInfo"]][:2] == [
        ("Trà hoa vàng", 8, 324_000), ("Rau rừng", -2, 100_000)]
    assert sent["summarizeInfo"]["totalAmountWithTax"] == part.total_vnd
    assert {b["taxPercentage"] for b in sent["taxBreakdowns"]} == {8, -2}
    assert len(_invoices()) == 1
    assert _db.session.scalar(sa.select(OutgoingMail.recipients).where(OutgoingMail.body_text.contains("RES00001"))) \
        == COMPANY["email"]


def test_a_rejection_records_nothing_and_is_not_retried(standin, part):
    standin.behaviour = ["reject"]
    with pytest.raises(Rejected) as caught:
        issue_with(part, sinvoice(standin), pause=0)
    assert caught.value.code == "INVOICE_TEMPLATE_NOT_FOUND"
    assert len(standin.creates) == 1 and standin.searches == 0
    assert _invoices() == []


def test_wrong_credentials_are_a_rejection(standin, part):
    with pytest.raises(Rejected):
        issue_with(part, sinvoice(standin, password="wrong"), pause=0)
    assert standin.creates == [] and _invoices() == []


def test_a_timeout_is_retried_without_a_second_invoice(standin, part):
    # The first call issues the invoice but answers after the connector gave up waiting.
    standin.behaviour = ["slow"]
    invoice = issue_with(part, sinvoice(standin, timeout=0.3), pause=0)
    assert len(standin.creates) == 1  # the retry asked first, found it, and sent nothing again
    assert standin.searches == 1
    assert (invoice.number, invoice.lookup_code) == ("1", "RES00001")
    assert len(standin.invoices) == 1 and len(_invoices()) == 1


def test_a_server_error_is_retried_under_the_same_key(standin, part):
    standin.behaviour = ["error500"]
    invoice = issue_with(part, sinvoice(standin), pause=0)
    keys = [c["generalInvoiceInfo"]["transactionUuid"] for c in standin.creates]
    assert keys == [transaction_uuid(part)] * 2
    assert invoice.number == "1" and len(standin.invoices) == 1


def test_giving_up_after_the_attempts_records_nothing(standin, part):
    standin.behaviour = ["error500"] * 3
    with pytest.raises(Unavailable):
        issue_with(part, sinvoice(standin), attempts=3, pause=0)
    assert len(standin.creates) == 3 and _invoices() == []
    # Run again later: it issues once.
    issue_with(part, sinvoice(standin), pause=0)
    assert len(standin.invoices) == 1 and len(_invoices()) == 1


def test_an_unreachable_provider_is_unavailable(part):
    with pytest.raises(Unavailable):
        issue_with(part, ViettelSInvoice("http://127.0.0.1:9", "u", "p", "0100112437", "1/001", "C26TAA",
                                         timeout=0.3), attempts=1, pause=0)


def test_the_cli_issues_then_adjusts_each_once(app, standin, part, seller, monkeypatch):
    monkeypatch.setenv("SINVOICE_PASSWORD", "secret")
    args = cli_issue(standin, seller.producer.id, part.id)
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "đã phát hành C26TAA 1, mã tra cứu RES00001" in result.output
    again = app.test_cli_runner().invoke(args=args)
    assert again.exit_code == 1 and "invoice_already_recorded" in again.output
    assert len(standin.creates) == 1
    other = app.test_cli_runner().invoke(args=cli_issue(standin, seller.producer.id + 1, part.id))
    assert other.exit_code == 1 and "not_found" in other.output
    # --adjust: the adjusting invoice a refund after issue makes due, once.
    adjust = cli_issue(standin, seller.producer.id, part.id, "--adjust")
    nothing_due = app.test_cli_runner().invoke(args=adjust)
    assert nothing_due.exit_code == 1 and "no_adjustment_due" in nothing_due.output
    _db.session.add(Refund(order_id=part.order_id, part_id=part.id, amount_vnd=100_000, method="manual",
                           status="succeeded", refunded_at=local(2026, 3, 4, 9)))
    _db.session.commit()
    adjusted = app.test_cli_runner().invoke(args=adjust)
    assert adjusted.exit_code == 0, adjusted.output
    assert "đã điều chỉnh bằng C26TAA 2, mã tra cứu RES00002" in adjusted.output
    assert app.test_cli_runner().invoke(args=adjust).exit_code == 1 and len(standin.adjustments) == 1
