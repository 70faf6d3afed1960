"""A producer connects Viettel S-Invoice once (password kept encrypted), tests the
connection, issues a part's invoice from the API or its order page, and disconnects;
every call reaches a local stand-in of S-Invoice's documented web services."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

import factories
from invoice_helpers import COMPANY, local, mark_paid, part_of, place
from marketplace.extensions import db as _db
from marketplace.invoicing import connection as connections
from marketplace.invoicing.issuing import transaction_uuid
from marketplace.invoicing.models import InvoiceConnection, PartInvoice
from sinvoice_standin import StandIn

DETAILS = {"provider": "viettel", "username": "0100112437", "password": "secret",
           "supplier_tax_code": "0100112437", "template_code": "1/001", "series": "C26TAA"}
API = "/api/v1/seller/invoice-connection"


@pytest.fixture
def standin(app, monkeypatch):
    with StandIn() as server:
        monkeypatch.setitem(app.config, "SINVOICE_BASE_URL", server.url)
        monkeypatch.setitem(app.config, "SINVOICE_TIMEOUT_S", 0.5)
        monkeypatch.setitem(app.config, "SINVOICE_RETRY_PAUSE_S", 0)
        yield server


@pytest.fixture
def part(client, db, groups, seller):
    seller.producer.tax_code = "0100112437"
    _db.session.commit()
    food, _fresh = groups
    tea = factories.product("Trà hoa vàng", prod=seller.producer, cat=food, price_vnd=324_000)
    order = mark_paid(place(client, [(tea, 2)], invoice=COMPANY).json["order"]["code"], local(2026, 3, 1, 9))
    return part_of(order, seller.producer)


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
    assert "S-Invoice login refused" in refused["last_test_message"] or "HTTP 401" in refused["last_test_message"]


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
