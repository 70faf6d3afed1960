"""API.md's Order carries the e-invoice: `invoice` (what the buyer asked for) and, per part,
`parts[].invoice {status, number, series, lookup_code, issued_on}`, in the checkout answer
and the shopper's order; never in the public tracking."""
from __future__ import annotations

import factories
from invoice_helpers import COMPANY, local, mark_paid, part_of, place, record_invoice
from marketplace.extensions import db as _db
from marketplace.payments.models import Refund


def test_the_order_carries_the_request_and_each_parts_invoice(app, client, db, groups, seller, other_seller):
    food, _fresh = groups
    tea = factories.product("Trà hoa vàng", prod=seller.producer, cat=food, price_vnd=350_000)
    sauce = factories.product("Nước mắm", prod=other_seller.producer, cat=food, price_vnd=120_000)
    placed = place(client, [(tea, 1), (sauce, 1)], invoice=COMPANY)
    assert placed.status_code == 201, placed.json
    answer = placed.json["order"]
    assert answer["invoice"] == {key: COMPANY[key] for key in ("kind", "name", "tax_code", "address", "email")}
    assert [p["invoice"] for p in answer["parts"]] == [
        {"status": "requested", "series": None, "number": None, "lookup_code": None, "issued_on": None}] * 2
    order = mark_paid(answer["code"], local(2026, 3, 1, 9))
    ours, theirs = part_of(order, seller.producer), part_of(order, other_seller.producer)
    record_invoice(ours, "17", local(2026, 3, 2))
    url = f"/api/v1/orders/{order.code}"
    parts = {p["id"]: p["invoice"] for p in client.get(url).json["parts"]}
    assert parts[ours.id] == {"status": "issued", "series": "C26TAA", "number": "17", "lookup_code": "L17",
                              "issued_on": "2026-03-02"}
    assert parts[theirs.id]["status"] == "requested"
    # A refund after issue: the shopper sees an adjusting invoice is due, then the adjusting invoice.
    _db.session.add(Refund(order_id=order.id, part_id=ours.id, amount_vnd=50_000, method="manual",
                           status="succeeded", refunded_at=local(2026, 3, 4, 9)))
    _db.session.commit()
    assert {p["id"]: p["invoice"]["status"] for p in client.get(url).json["parts"]}[ours.id] == "adjustment_due"
    factories.login_as(client, seller.user)
    done = client.put(f"/api/v1/seller/order-parts/{ours.id}/invoice", json={
        "series": "C26TAA", "number": "18", "lookup_code": "ADJ18", "issued_on": "2026-03-04", "adjustment": True})
    assert done.status_code == 200, done.json
    client.post("/auth/logout")
    mine = {p["id"]: p["invoice"] for p in client.get(url).json["parts"]}[ours.id]
    assert (mine["status"], mine["adjustment"]) == ("adjusted", {"series": "C26TAA", "number": "18",
                                                                 "lookup_code": "ADJ18", "issued_on": "2026-03-04"})
    # A seller (in its own browser) sees its own part only, with its invoice.
    other = app.test_client()
    factories.login_as(other, other_seller.user)
    seen = other.get(url).json
    assert [p["id"] for p in seen["parts"]] == [theirs.id] and seen["parts"][0]["invoice"]["status"] == "requested"
    # The public tracking shows no invoice.
    tracked = client.get(f"/api/v1/track/{order.code}?phone=0912345678").json
    assert tracked["parts"] and all("invoice" not in p for p in tracked["parts"])


def test_no_request_and_no_invoice_is_null(client, db, groups, seller):
    food, _fresh = groups
    tea = factories.product(prod=seller.producer, cat=food)
    answer = place(client, [(tea, 1)]).json["order"]
    assert answer["invoice"] is None and answer["parts"][0]["invoice"] is None
