"""A producer connects Viettel S-Invoice once (password kept encrypted), tests the
connection, issues a part's invoice from the API or its order page, and disconnects;
every call reaches a local stand-in of S-Invoice's documented web services."""
from __future__ import annotations

import sqlalchemy as sa
from cryptography.fernet import Fernet

import factories
from invoice_helpers import COMPANY
from marketplace.extensions import db as _db
from marketplace.invoicing import connection as connections
from marketplace.invoicing.issuing import transaction_uuid
from marketplace.invoicing.models import InvoiceConnection, PartInvoice

DETAILS = {"provider": "viettel", "username": "0100112437", "password": "secret",
           "supplier_tax_code": "0100112437", "template_code": "1/001", "series": "C26TAA"}
API = "/api/v1/seller/invoice-connection"


def _saved() -> InvoiceConnection:
    _db.session.expire_all()
    return _db.session.scalar(sa.select(InvoiceConnection))


def _invoices() -> list[PartInvoice]:
    _db.session.expire_all()
    return _db.session.scalars(sa.select(PartInvoice)).all()


def test_the_password_is_stored_encrypted_and_never_shown(seller_client, seller, db):
    assert seller_client.get(API).json == {"connected": False}
    saved = seller_client.put(API, json=DETAILS)
    assert saved.status_code == 200, saved.json
    assert saved.json["connected"] is True and "password" not in saved.json
    assert (saved.json["template_code"], saved.json["series"], saved.json["last_test_ok"]) == ("1/001", "C26TAA", None)
    row = _saved()
    assert row.producer_id == seller.producer.id
    assert "secret" not in row.secret_encrypted
    assert connections.decrypt(row.secret_encrypted) == "secret"
    # Changing the series without a password keeps the saved password.
    changed = seller_client.put(API, json={**DETAILS, "password": "", "series": "c26tab"})
    assert changed.json["series"] == "C26TAB"
    assert connections.decrypt(_saved().secret_encrypted) == "secret"
    assert "secret" not in seller_client.get(API).get_data(as_text=True)


def test_the_details_are_checked_field_by_field(seller_client, db):
    first = seller_client.put(API, json={**DETAILS, "password": "", "supplier_tax_code": "0100112438",
                                         "template_code": "abc", "series": "X1", "provider": "misa"})
    assert first.status_code == 422
    assert set(first.json["error"]["fields"]) == {"password", "supplier_tax_code", "template_code", "series", "provider"}
    assert seller_client.put(API, json={**DETAILS, "username": ""}).status_code == 422
    assert seller_client.put(API, json={**DETAILS, "username": 5 * "x" * 30}).status_code == 422
    assert _saved() is None


def test_testing_the_connection_signs_in_and_keeps_the_outcome(seller_client, standin, db):
    assert seller_client.post(f"{API}/test").json["error"]["code"] == "not_connected"
    seller_client.put(API, json=DETAILS)
    tried = seller_client.post(f"{API}/test")
    assert tried.status_code == 200 and tried.json["last_test_ok"] is True
    assert tried.json["last_tested_at"]
    seller_client.put(API, json={**DETAILS, "password": "wrong"})
    refused = seller_client.post(f"{API}/test").json
    assert refused["last_test_ok"] is False
    assert refused["last_test_message"].startswith("Nhà cung cấp từ chối đăng nhập")
    assert "S-Invoice login refused" in refused["last_test_message"] or "HTTP 401" in refused["last_test_message"]


def test_testing_the_connection_looks_the_template_and_series_up(seller_client, standin, db):
    seller_client.put(API, json=DETAILS)
    tried = seller_client.post(f"{API}/test").json
    assert tried["last_test_ok"] is True
    assert "1/001" in tried["last_test_message"] and "C26TAA" in tried["last_test_message"]
    # A series the provider has not registered under the template: said, with what it has.
    seller_client.put(API, json={**DETAILS, "password": "", "series": "C26TZZ"})
    wrong_series = seller_client.post(f"{API}/test").json
    assert wrong_series["last_test_ok"] is False
    assert wrong_series["last_test_message"].startswith("Đã đăng nhập, nhưng nhà cung cấp không có ký hiệu C26TZZ "
                                                        "thuộc mẫu số 1/001")
    assert "1/001 C26TAA, 2/001 C26TBB" in wrong_series["last_test_message"]
    # An unknown template, asked in English.
    seller_client.put(API, json={**DETAILS, "password": "", "template_code": "1/002"})
    wrong_template = seller_client.post(f"{API}/test?lang=en").json
    assert wrong_template["last_test_ok"] is False
    assert wrong_template["last_test_message"].startswith(
        "Signed in, but the provider has no template 1/002 for tax code 0100112437. Registered: 1/001 C26TAA")
    # A tax code the provider does not know: the lookup is refused with its reason.
    seller_client.put(API, json={**DETAILS, "password": "", "supplier_tax_code": "0100109106"})
    refused = seller_client.post(f"{API}/test?lang=en").json
    assert refused["last_test_ok"] is False
    assert refused["last_test_message"] == "The provider refused the template lookup: Mã số thuế không đúng"
    # The portal shows the same message.
    page = seller_client.get("/seller/invoices").get_data(as_text=True)
    assert "Mã số thuế không đúng" in page and "text-danger" in page


def test_the_outcome_is_said_in_the_language_of_whoever_reads_it(seller_client, standin, db):
    seller_client.put(API, json={**DETAILS, "series": "C26TZZ"})
    tested = seller_client.post(f"{API}/test?lang=en").json["last_test_message"]
    assert tested.startswith("Signed in, but the provider has no series C26TZZ under template 1/001")
    read = seller_client.get(API).json["last_test_message"]
    assert read.startswith("Đã đăng nhập, nhưng nhà cung cấp không có ký hiệu C26TZZ thuộc mẫu số 1/001")
    assert "1/001 C26TAA, 2/001 C26TBB" in read
    assert "Đã đăng nhập, nhưng nhà cung cấp không có ký hiệu C26TZZ" in seller_client.get(
        "/seller/invoices?lang=vi").get_data(as_text=True)
    assert "Signed in, but the provider has no series C26TZZ" in seller_client.get(
        "/seller/invoices?lang=en").get_data(as_text=True)
    # A test kept as text before outcomes were codes is shown as it was stored.
    saved = _saved()
    saved.last_test_code = saved.last_test_params = None
    saved.last_test_message = "Đã kiểm tra (cũ)"
    _db.session.commit()
    assert seller_client.get(f"{API}?lang=en").json["last_test_message"] == "Đã kiểm tra (cũ)"


def test_an_unreachable_provider_is_a_failed_test_not_an_error(seller_client, app, monkeypatch, db):
    monkeypatch.setitem(app.config, "SINVOICE_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setitem(app.config, "SINVOICE_TIMEOUT_S", 0.3)
    seller_client.put(API, json=DETAILS)
    tried = seller_client.post(f"{API}/test")
    assert tried.status_code == 200 and tried.json["last_test_ok"] is False


def test_a_rotated_secret_key_asks_for_the_password_again(seller_client, standin, app, db):
    seller_client.put(API, json=DETAILS)
    # As if saved under the previous SECRET_KEY: a token of another key.
    row = _saved()
    row.secret_encrypted = Fernet(Fernet.generate_key()).encrypt(b"secret").decode()
    _db.session.commit()
    unreadable = seller_client.post(f"{API}/test")
    assert unreadable.status_code == 409 and unreadable.json["error"]["code"] == "connection_unreadable"
    seller_client.put(API, json=DETAILS)
    assert seller_client.post(f"{API}/test").json["last_test_ok"] is True


def test_issuing_through_the_api_records_it_once(seller_client, standin, part, db):
    url = f"/api/v1/seller/order-parts/{part.id}/invoice/issue"
    assert seller_client.post(url).json["error"]["code"] == "not_connected"
    seller_client.put(API, json=DETAILS)
    issued = seller_client.post(url)
    assert issued.status_code == 200, issued.json
    assert issued.json["invoice"]["number"] == "1" and issued.json["invoice"]["source"] == "viettel"
    assert issued.json["invoice"]["lookup_code"] == "RES00001"
    again = seller_client.post(url)
    assert again.status_code == 409 and again.json["error"]["code"] == "invoice_already_recorded"
    assert len(standin.creates) == 1 and len(_invoices()) == 1
    assert standin.creates[0]["buyerInfo"]["buyerTaxCode"] == COMPANY["tax_code"]


def test_a_rejection_is_a_409_with_the_providers_reason(seller_client, standin, part, db):
    seller_client.put(API, json=DETAILS)
    standin.behaviour = ["reject"]
    refused = seller_client.post(f"/api/v1/seller/order-parts/{part.id}/invoice/issue")
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "provider_rejected"
    assert refused.json["error"]["provider_code"] == "INVOICE_TEMPLATE_NOT_FOUND"
    assert "Mẫu hóa đơn không tồn tại" in refused.json["error"]["message"]
    assert _invoices() == []


def test_a_timeout_then_retry_issues_one_invoice(seller_client, standin, part, db):
    seller_client.put(API, json=DETAILS)
    standin.behaviour = ["slow"]  # issued, but answered after the connector gave up
    issued = seller_client.post(f"/api/v1/seller/order-parts/{part.id}/invoice/issue")
    assert issued.status_code == 200, issued.json
    assert len(standin.creates) == 1 and standin.searches == 1 and len(standin.invoices) == 1
    assert _invoices()[0].transaction_uuid == transaction_uuid(part)


def test_an_outage_is_a_503_and_a_later_call_issues_once(seller_client, standin, part, db):
    seller_client.put(API, json=DETAILS)
    standin.behaviour = ["error500"] * 3
    url = f"/api/v1/seller/order-parts/{part.id}/invoice/issue"
    down = seller_client.post(url)
    assert down.status_code == 503 and down.json["error"]["code"] == "provider_unavailable"
    assert _invoices() == []
    assert seller_client.post(url).status_code == 200
    assert len(standin.invoices) == 1 and len(_invoices()) == 1


def test_another_producer_cannot_issue_a_part_that_is_not_its_own(client, standin, part, other_seller, db):
    factories.login_as(client, other_seller.user)
    client.put(API, json=DETAILS)
    denied = client.post(f"/api/v1/seller/order-parts/{part.id}/invoice/issue")
    assert denied.status_code == 404
    assert standin.creates == [] and _invoices() == []
    assert client.post(f"/seller/orders/{part.id}/invoice/issue").status_code == 404


def test_disconnecting_deletes_the_saved_details(seller_client, db):
    seller_client.put(API, json=DETAILS)
    assert seller_client.delete(API).status_code == 204
    assert _saved() is None
    assert seller_client.delete(API).status_code == 404


def test_the_portal_connects_tests_issues_and_disconnects(seller_client, standin, part, db):
    page = seller_client.get("/seller/invoices").get_data(as_text=True)
    assert 'id="invoice-connection"' in page and "Viettel S-Invoice" in page
    assert "data-issue-through-provider" not in seller_client.get(f"/seller/orders/{part.id}").get_data(as_text=True)
    bad = seller_client.post("/seller/invoices/connection", data={**DETAILS, "series": "??"})
    assert bad.status_code == 422 and "is-invalid" in bad.get_data(as_text=True)
    assert seller_client.post("/seller/invoices/connection", data=DETAILS).status_code == 302
    tested = seller_client.post("/seller/invoices/connection/test", follow_redirects=True).get_data(as_text=True)
    assert "data-connection-status" in tested and "text-success" in tested
    order_page = seller_client.get(f"/seller/orders/{part.id}").get_data(as_text=True)
    assert "data-issue-through-provider" in order_page
    done = seller_client.post(f"/seller/orders/{part.id}/invoice/issue", follow_redirects=True)
    assert "data-invoice-issued" in done.get_data(as_text=True) and "RES00001" in done.get_data(as_text=True)
    assert len(_invoices()) == 1
    assert seller_client.post("/seller/invoices/connection/delete").status_code == 302
    assert _saved() is None
