"""Recall: a producer (its own lots) or an admin (any lot) recalls with a reason; the passport warns at once."""
from __future__ import annotations

import sqlalchemy as sa

import factories
from trace_helpers import make_lot
from marketplace.audit import AuditEntry
from marketplace.traceability.models import Lot


def _passport(client, lot_id):
    return client.get(f"/api/v1/lots/{lot_id}").get_json()


def test_producer_recalls_its_lot_and_the_passport_shows_it_at_once(seller_client, client, db, honey):
    lot = make_lot(honey)
    response = seller_client.post(f"/api/v1/seller/lots/{lot.id}/recall", json={"reason": "Nhiễm nấm men"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["recalled"] is True and body["recall_reason"] == "Nhiễm nấm men"
    passport = _passport(client, lot.id)
    assert passport["recalled"] is True
    assert passport["recall"]["reason"] == "Nhiễm nấm men" and passport["recall"]["at"].endswith("+07:00")
    assert passport["warnings"][0]["code"] == "recalled"
    page = client.get(f"/lots/{lot.id}").get_data(as_text=True)
    assert 'data-warning="recalled"' in page and "Nhiễm nấm men" in page
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.object_id == str(lot.id),
                                                                AuditEntry.action == "lot.recall")) == "lot.recall"


def test_a_recall_needs_a_reason_and_happens_once(seller_client, db, honey):
    lot = make_lot(honey)
    empty = seller_client.post(f"/api/v1/seller/lots/{lot.id}/recall", json={"reason": "  "})
    assert empty.status_code == 422 and "reason" in empty.get_json()["error"]["fields"]
    assert seller_client.post(f"/api/v1/seller/lots/{lot.id}/recall", json={"reason": "Lý do 1"}).status_code == 200
    again = seller_client.post(f"/api/v1/seller/lots/{lot.id}/recall", json={"reason": "Lý do 2"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_recalled"
    db.session.expire_all()
    assert db.session.get(Lot, lot.id).recall_reason == "Lý do 1"


def test_admin_recalls_any_lot_through_the_api(client, db, honey):
    lot = make_lot(honey)
    factories.login_as(client, factories.user("admin"))
    response = client.post(f"/api/v1/admin/lots/{lot.id}/recall", json={"reason": "Kiểm nghiệm không đạt"})
    assert response.status_code == 200
    assert _passport(client, lot.id)["recall"]["reason"] == "Kiểm nghiệm không đạt"
    assert client.post("/api/v1/admin/lots/999/recall", json={"reason": "x"}).status_code == 404


def test_recall_buttons_in_the_portals(client, db, seller, honey):
    lot = make_lot(honey)
    factories.login_as(client, seller.user)
    page = client.get(f"/seller/lots/{lot.id}").get_data(as_text=True)
    assert f'action="/seller/lots/{lot.id}/recall"' in page
    assert client.post(f"/seller/lots/{lot.id}/recall", data={"reason": "Bao bì hỏng"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Lot, lot.id).recall_reason == "Bao bì hỏng"

    other = make_lot(honey, code="BC-2026-02")
    admin = factories.user("admin")
    factories.login_as(client, admin)
    page = client.get(f"/lots/{other.id}").get_data(as_text=True)
    assert f'action="/admin/lots/{other.id}/recall"' in page
    assert client.post(f"/admin/lots/{other.id}/recall", data={"reason": "Thanh tra tỉnh"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Lot, other.id).recalled_by_id == admin.id


def test_shoppers_see_no_recall_button_and_cannot_recall(client, db, honey):
    lot = make_lot(honey)
    factories.login_as(client, factories.user("shopper"))
    assert "/recall" not in client.get(f"/lots/{lot.id}").get_data(as_text=True)
    assert client.post(f"/admin/lots/{lot.id}/recall", data={"reason": "x"}).status_code == 403
    assert client.post(f"/api/v1/admin/lots/{lot.id}/recall", json={"reason": "x"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Lot, lot.id).recalled is False
