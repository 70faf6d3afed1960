"""Orders know their lots: a producer records the lots a part's lines came from; a recall emails
exactly the buyers of that lot, through the outbox, and the audit log says who was told."""
from __future__ import annotations

import json

import sqlalchemy as sa

import factories
from trace_helpers import make_lot
from marketplace.audit import AuditEntry
from marketplace.mail.models import OutgoingMail
from tests.hardening.authz_world import paid_order


def _line_of(order):
    part = order.parts[0]
    return part.id, part.lines[0].id


def test_a_recall_emails_exactly_the_buyers_of_that_lot(seller_client, db, honey):
    lot, other_lot = make_lot(honey), make_lot(honey, code="BC-2026-02")
    buyers = [factories.user("shopper", email=f"mua{n}@example.vn") for n in range(3)]
    orders = [paid_order(buyer, honey) for buyer in buyers]
    for order, chosen in zip(orders, (lot, lot, other_lot)):
        part_id, line_id = _line_of(order)
        response = seller_client.put(f"/api/v1/seller/order-parts/{part_id}/lots",
                                     json={"lines": [{"line_id": line_id, "lot_ids": [chosen.id]}]})
        assert response.status_code == 200, response.get_json()
        assert response.get_json() == [{"line_id": line_id, "product_id": honey.id,
                                        "lots": [{"id": chosen.id, "code": chosen.code, "quantity": 1}]}]

    before = db.session.scalar(sa.select(sa.func.max(OutgoingMail.id)))  # the orders' own mails
    assert seller_client.post(f"/api/v1/seller/lots/{lot.id}/recall", json={"reason": "Nhiễm khuẩn"}).status_code == 200

    mails = db.session.scalars(sa.select(OutgoingMail).where(OutgoingMail.id > before)
                               .order_by(OutgoingMail.recipients)).all()
    assert [m.recipients for m in mails] == ["mua0@example.vn", "mua1@example.vn"]
    assert all("BC-2026-01" in m.subject and "Nhiễm khuẩn" in m.body_text and f"/lots/{lot.id}" in m.body_text
               for m in mails)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "lot.recall")).one()
    assert json.loads(entry.after)["buyers_emailed"] == ["mua0@example.vn", "mua1@example.vn"]


def test_a_lot_of_another_product_or_producer_cannot_be_assigned(seller_client, db, seller, other_seller, honey):
    order = paid_order(factories.user("shopper"), honey)
    part_id, line_id = _line_of(order)
    other_product = factories.product("Mật ong hoa bạc hà", prod=seller.producer)
    wrong_product_lot = make_lot(other_product)
    foreign = make_lot(factories.product("Hàu sữa", prod=other_seller.producer))
    for lot_ids in ([wrong_product_lot.id], [foreign.id], ["x"]):
        response = seller_client.put(f"/api/v1/seller/order-parts/{part_id}/lots",
                                     json={"lines": [{"line_id": line_id, "lot_ids": lot_ids}]})
        assert response.status_code == 422, response.get_json()
    assert seller_client.put(f"/api/v1/seller/order-parts/{part_id}/lots",
                             json={"lines": [{"line_id": 999999, "lot_ids": []}]}).status_code == 422


def test_another_producers_part_is_404(client, db, other_seller, honey):
    order = paid_order(factories.user("shopper"), honey)
    part_id, line_id = _line_of(order)
    lot = make_lot(honey)
    factories.login_as(client, other_seller.user)
    response = client.put(f"/api/v1/seller/order-parts/{part_id}/lots",
                          json={"lines": [{"line_id": line_id, "lot_ids": [lot.id]}]})
    assert response.status_code == 404
