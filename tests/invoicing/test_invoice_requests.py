"""The invoice request at checkout (API and web form), and who sees it."""
from __future__ import annotations

import sqlalchemy as sa

import factories
from invoice_helpers import COMPANY, local, mark_paid, part_of, place
from marketplace.extensions import db as _db
from marketplace.invoicing.models import InvoiceRequest
from marketplace.orders.models import Order


def _requests():
    return _db.session.scalars(sa.select(InvoiceRequest)).all()


def test_a_company_invoice_request_is_stored_with_the_order(client, db, seller):
    tea = factories.product("Trà hoa vàng", prod=seller.producer, price_vnd=350_000)
    answer = place(client, [(tea, 2)], invoice={**COMPANY, "tax_code": "0100109106-001"})
    assert answer.status_code == 201, answer.json
    (row,) = _requests()
    order = _db.session.scalar(sa.select(Order).where(Order.code == answer.json["order"]["code"]))
    assert (row.order_id, row.kind, row.name, row.tax_code, row.address, row.email) == (
        order.id, "company", COMPANY["name"], "0100109106-001", COMPANY["address"], COMPANY["email"])


def test_a_person_invoice_defaults_to_the_contact_email(client, db, seller):
    tea = factories.product(prod=seller.producer)
    answer = place(client, [(tea, 1)], invoice={"kind": "person", "name": "Nguyễn Thị Lan"})
    assert answer.status_code == 201, answer.json
    (row,) = _requests()
    assert (row.kind, row.tax_code, row.email) == ("person", None, "lan@example.vn")


def test_no_invoice_object_no_request(client, db, seller):
    tea = factories.product(prod=seller.producer)
    assert place(client, [(tea, 1)]).status_code == 201
    assert place(client, [(tea, 1)], invoice={"kind": None}).status_code == 201
    assert _requests() == []


def test_a_wrong_tax_code_refuses_the_order_and_names_the_field(client, db, seller):
    tea = factories.product(prod=seller.producer, stock=5)
    answer = place(client, [(tea, 1)], invoice={**COMPANY, "tax_code": "0100109107"})
    assert answer.status_code == 422
    assert "invoice.tax_code" in answer.json["error"]["fields"]
    answer = place(client, [(tea, 1)], invoice={"kind": "company", "name": "", "tax_code": 100109106,
                                                "address": "", "email": "not-an-email"})
    assert answer.status_code == 422
    assert set(answer.json["error"]["fields"]) >= {"invoice.name", "invoice.tax_code", "invoice.address",
                                                   "invoice.email"}
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    _db.session.expire_all()
    assert tea.stock == 5


def test_the_web_checkout_takes_the_invoice_fields(client, db, seller):
    tea = factories.product(prod=seller.producer)
    client.post("/cart/add", data={"product_id": tea.id, "quantity": 1})
    page = client.get("/checkout")
    assert 'name="invoice-tax_code"' in page.get_data(as_text=True)
    form = {"full_name": "Nguyễn Thị Lan", "phone": "0912345678", "email": "lan@example.vn",
            "line1": "Số 12", "ward": "Hạ Long", "province": "Quảng Ninh", "payment_method": "vietqr",
            "invoice-kind": "company", "invoice-name": COMPANY["name"], "invoice-tax_code": "0100109107",
            "invoice-address": COMPANY["address"], "invoice-email": COMPANY["email"]}
    refused = client.post("/checkout", data=form)
    assert refused.status_code == 200 and "chữ số kiểm tra" in refused.get_data(as_text=True)
    placed = client.post("/checkout", data={**form, "invoice-tax_code": "0100109106"})
    assert placed.status_code == 302, placed.get_data(as_text=True)
    (row,) = _requests()
    assert row.tax_code == "0100109106"
    order_page = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert COMPANY["name"] in order_page


def test_each_producer_sees_the_request_only_on_its_own_parts(client, app, db, seller, other_seller):
    tea = factories.product("Trà", prod=seller.producer)
    sauce = factories.product("Nước mắm", prod=other_seller.producer)
    lone = factories.product("Chả mực", prod=other_seller.producer)
    code = place(client, [(tea, 1), (sauce, 1)], invoice=COMPANY).json["order"]["code"]
    order = mark_paid(code, local(2026, 3, 1, 9, 0))
    other_code = place(client, [(lone, 1)]).json["order"]["code"]
    other_order = mark_paid(other_code, local(2026, 3, 2, 9, 0))
    mine, theirs = part_of(order, seller.producer), part_of(order, other_seller.producer)

    factories.login_as(client, seller.user)
    listed = client.get("/api/v1/seller/orders").json["items"]
    assert [(item["id"], item["invoice_request"]["tax_code"]) for item in listed] == [(mine.id, "0100109106")]
    assert client.get(f"/api/v1/seller/order-parts/{mine.id}").json["invoice_request"]["name"] == COMPANY["name"]
    assert client.get(f"/api/v1/seller/order-parts/{mine.id}/invoice").json["invoice_request"]["email"] \
        == COMPANY["email"]
    page = client.get(f"/seller/orders/{mine.id}").get_data(as_text=True)
    assert "0100109106" in page and COMPANY["name"] in page
    # Another producer's part of the same order: not found, nothing of the request shown.
    for url in (f"/api/v1/seller/order-parts/{theirs.id}", f"/api/v1/seller/order-parts/{theirs.id}/invoice",
                f"/api/v1/seller/order-parts/{theirs.id}/invoice.xml", f"/seller/orders/{theirs.id}/invoice.xml"):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert "0100109106" not in answer.get_data(as_text=True)
    assert client.put(f"/api/v1/seller/order-parts/{theirs.id}/invoice", json={
        "series": "C26TAA", "number": "1", "lookup_code": "X", "issued_on": "2026-03-02"}).status_code == 404

    factories.login_as(client, other_seller.user)
    listed = {item["id"]: item["invoice_request"] for item in client.get("/api/v1/seller/orders").json["items"]}
    assert listed[theirs.id]["tax_code"] == "0100109106"
    assert listed[part_of(other_order, other_seller.producer).id] is None
    # A shopper is no seller.
    factories.login_as(client, factories.user())
    assert client.get(f"/api/v1/seller/order-parts/{mine.id}/invoice").status_code == 403
