"""What people see: the shopper's payment page and API, bank refunds, and the admin's
reconciliation page with its audit trail."""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from marketplace.audit import AuditEntry
from marketplace.extensions import db as _db
from marketplace.orders.models import Order
from marketplace.orders.status import apply_part_transition
from marketplace.payments import refunds
from marketplace.payments.models import BankTransfer, LedgerEntry, Refund
from marketplace.payments.views import payment_page_url
from tests import factories

from .helpers import make_order, post_sepay, sepay_body


def reload(order: Order) -> Order:
    _db.session.expire_all()
    return _db.session.get(Order, order.id)


# ---- the shopper's view -----------------------------------------------------------------------

def test_the_owner_sees_how_to_pay_with_qr_amount_reference_and_countdown(db, client):
    shopper = factories.user()
    order = make_order(user=shopper)
    factories.login_as(client, shopper)

    page = client.get(f"/payments/orders/{order.code}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"/payments/qr/{order.payment_reference}.png" in html
    assert order.payment_reference in html and "130.000\u00a0₫" in html and "0011004123456" in html
    assert 'id="payment-countdown"' in html and "data-due-at=" in html
    assert "/static/js/payments.js" in html
    assert "Nội dung chuyển khoản" in html  # Vietnamese first
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline scripts are forbidden by the CSP"


def test_someone_elses_order_is_404(db, client):
    order = make_order(user=factories.user())
    factories.login_as(client, factories.user())
    assert client.get(f"/payments/orders/{order.code}").status_code == 404


def test_a_guest_needs_the_emailed_link(db, client):
    order = make_order()
    assert client.get(f"/payments/orders/{order.code}").status_code == 404
    assert client.get(f"/payments/orders/{order.code}?t=forged").status_code == 404
    link = payment_page_url(order)
    assert client.get(link).status_code == 200
    token = link.split("t=", 1)[1]
    assert client.get(f"/api/v1/payments/orders/{order.code}?t={token}").get_json()["status"] == "unpaid"


def test_the_status_api_changes_when_the_transfer_lands_and_shows_the_receipt(db, client):
    shopper = factories.user()
    order = make_order(user=shopper)
    factories.login_as(client, shopper)

    before = client.get(f"/api/v1/payments/orders/{order.code}").get_json()
    assert before["status"] == "unpaid" and before["order_status"] == "pending_payment"
    assert before["vietqr"]["reference"] == order.payment_reference
    assert before["vietqr"]["payload"].startswith("000201010212")

    post_sepay(client, sepay_body(order, 130_000, when="2025-03-01 09:15:00"))
    after = client.get(f"/api/v1/payments/orders/{order.code}").get_json()
    assert after["status"] == "paid" and after["paid_vnd"] == 130_000
    assert after["paid_at"] == "2025-03-01T09:15:00+07:00"
    assert after["receipts"] == [{"kind": "payment", "method": "vietqr", "amount_vnd": 130_000,
                                  "at": "2025-03-01T09:15:00+07:00", "reference": "sepay:92704"}]
    assert "vietqr" not in after
    page = client.get(f"/payments/orders/{order.code}").get_data(as_text=True)
    assert "sepay" not in page and "/payments/qr/" not in page  # the provider's reference is internal


def test_the_status_api_is_404_for_anonymous_visitors(db, client):
    order = make_order(user=factories.user())
    assert client.get(f"/api/v1/payments/orders/{order.code}").status_code == 404


def test_the_status_api_is_404_for_other_shoppers(db, client):
    order = make_order(user=factories.user())
    factories.login_as(client, factories.user())
    assert client.get(f"/api/v1/payments/orders/{order.code}").status_code == 404


# ---- bank-transfer refunds ----------------------------------------------------------------------

def paid_bank_order(client, **kwargs) -> Order:
    order = make_order(**kwargs)
    post_sepay(client, sepay_body(order, order.total_vnd, txn_id=order.id * 10))
    return reload(order)


def test_a_cancelled_bank_paid_part_becomes_a_refund_due_until_an_admin_pays_it_back(db, client, app):
    order = paid_bank_order(client, prices=(100_000, 50_000))  # 130.000 + 80.000
    admin = factories.user(role="admin")
    part = order.parts[1]
    apply_part_transition(part, "cancelled", admin, "producer cannot deliver")
    refund = refunds.refund_part(part, admin, "producer cannot deliver")
    _db.session.commit()
    assert (refund.status, refund.method, refund.amount_vnd, refund.refunded_at) == ("due", "vietqr", 80_000, None)
    assert refunds.refund_part(part, admin, "again").id == refund.id
    assert reload(order).payment_status == "paid"  # nothing has gone back yet

    factories.login_as(client, admin)
    page = client.get("/admin/payments/reconciliation").get_data(as_text=True)
    assert f'id="refund-{refund.id}"' in page
    response = client.post(f"/admin/payments/refunds/{refund.id}/paid", data={"note": "VCB FT25061234"})
    assert response.status_code == 302

    _db.session.expire_all()  # the request ran in its own session
    refund = _db.session.get(Refund, refund.id)
    assert refund.status == "succeeded" and refund.refunded_at is not None
    assert reload(order).payment_status == "partially_refunded"
    ledger = _db.session.execute(sa.select(LedgerEntry.kind, LedgerEntry.amount_vnd)
                                 .where(LedgerEntry.order_id == order.id).order_by(LedgerEntry.id)).all()
    assert ledger == [("payment", 210_000), ("refund", 80_000)]
    audit = _db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "payments.refund_paid_back")
                                ).scalar_one()
    assert audit.actor_id == admin.id and audit.note == "VCB FT25061234"
    assert client.post(f"/admin/payments/refunds/{refund.id}/paid", data={"note": "x"}).status_code == 302
    assert _db.session.execute(sa.select(sa.func.count()).select_from(LedgerEntry)
                               .where(LedgerEntry.kind == "refund")).scalar_one() == 1


def test_nothing_is_refunded_for_an_unpaid_order(db):
    order = make_order()
    apply_part_transition(order.parts[0], "cancelled", None, "changed my mind")
    assert refunds.refund_part(order.parts[0], None, "changed my mind") is None


# ---- reconciliation ---------------------------------------------------------------------------

def test_anonymous_visitors_cannot_list_transfers(db, client):
    assert client.get("/api/v1/payments/transfers").status_code == 401


def test_only_admins_reach_the_reconciliation_page(db, client):
    factories.login_as(client, factories.user())
    assert client.get("/admin/payments/reconciliation").status_code == 403
    assert client.get("/api/v1/payments/transfers").status_code == 403


def test_an_admin_assigns_an_unmatched_transfer_to_an_order(db, client):
    order = make_order()
    post_sepay(client, sepay_body("QN", 130_000, content="chuyen tien don hang cua chi Lan"))
    transfer = _db.session.execute(sa.select(BankTransfer)).scalar_one()
    admin = factories.user(role="admin")
    factories.login_as(client, admin)
    page = client.get("/admin/payments/reconciliation").get_data(as_text=True)
    assert f'id="transfer-{transfer.id}"' in page and "chi Lan" in page

    response = client.post(f"/admin/payments/transfers/{transfer.id}/assign",
                           data={"order_code": order.code, "note": "chị Lan gọi điện xác nhận"})

    assert response.status_code == 302
    order = reload(order)
    assert order.status == "paid" and order.paid_at == transfer.transacted_at
    transfer = _db.session.get(BankTransfer, transfer.id)
    assert transfer.status == "assigned" and transfer.order_id == order.id and transfer.resolved_by_id == admin.id
    entry = _db.session.execute(sa.select(LedgerEntry)).scalar_one()
    assert entry.order_id == order.id
    audit = _db.session.execute(sa.select(AuditEntry)).scalar_one()
    assert audit.action == "payments.transfer_assigned" and json.loads(audit.before)["status"] == "unmatched"
    assert f'id="transfer-{transfer.id}"' not in client.get("/admin/payments/reconciliation").get_data(as_text=True)


def test_assigning_to_an_order_not_waiting_for_payment_is_refused(db, client):
    paid = paid_bank_order(client)
    post_sepay(client, sepay_body("QN", 5_000, txn_id=77, content="khong ro"))
    transfer = _db.session.execute(sa.select(BankTransfer).where(BankTransfer.status == "unmatched")).scalar_one()
    factories.login_as(client, factories.user(role="admin"))
    response = client.post(f"/api/v1/payments/transfers/{transfer.id}/assign", json={"order_code": paid.code})
    assert response.status_code == 422
    assert client.post(f"/api/v1/payments/transfers/{transfer.id}/assign",
                       json={"order_code": "NOPE"}).status_code == 422
    assert _db.session.get(BankTransfer, transfer.id).status == "unmatched"


def test_an_admin_marks_a_partial_transfer_refunded_outside_the_system(db, client):
    order = make_order()
    post_sepay(client, sepay_body(order, 50_000))
    transfer = _db.session.execute(sa.select(BankTransfer)).scalar_one()
    assert transfer.status == "partial"
    admin = factories.user(role="admin")
    factories.login_as(client, admin)

    response = client.post(f"/api/v1/payments/transfers/{transfer.id}/refunded",
                           json={"note": "trả lại qua VCB ngày 2/3"})

    assert response.status_code == 200 and response.get_json()["status"] == "refunded_outside"
    ledger = _db.session.execute(sa.select(LedgerEntry.kind, LedgerEntry.amount_vnd).order_by(LedgerEntry.id)).all()
    assert ledger == [("payment", 50_000), ("refund", 50_000)]
    assert reload(order).status == "pending_payment"
    assert _db.session.execute(sa.select(AuditEntry.action)).scalar_one() == "payments.transfer_refunded_outside"
    again = client.post(f"/api/v1/payments/transfers/{transfer.id}/refunded", json={"note": "again"})
    assert again.status_code == 409


def test_the_transfers_api_lists_open_transfers_in_pages(db, client):
    for n in range(3):
        post_sepay(client, sepay_body("QN", 10_000 + n, txn_id=100 + n, content=f"khong ro {n}"))
    factories.login_as(client, factories.user(role="admin"))
    body = client.get("/api/v1/payments/transfers?per_page=2").get_json()
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 2 and len(body["items"]) == 2
    assert body["items"][0]["status"] == "unmatched" and isinstance(body["items"][0]["amount_vnd"], int)
    assert client.get("/api/v1/payments/transfers?per_page=500").status_code == 422


@pytest.mark.parametrize("n", [2, 12])
def test_the_reconciliation_page_costs_the_same_queries_however_many_transfers(db, client, query_counter, n):
    orders = [make_order() for _ in range(n)]
    for i, order in enumerate(orders):
        post_sepay(client, sepay_body(order, 10_000, txn_id=1000 + i))  # partial: each names an order
        post_sepay(client, sepay_body("QN", 5_000, txn_id=2000 + i, content="khong ro"))
    order = make_order()
    apply_part_transition(order.parts[0], "cancelled", None, "x")
    order.paid_at = order.created_at
    _db.session.add(Refund(order_id=order.id, part_id=order.parts[0].id, amount_vnd=1000, method="vietqr",
                           status="due", reason="x"))
    _db.session.commit()
    factories.login_as(client, factories.user(role="admin"))
    client.get("/admin/payments/reconciliation")  # warm up
    with query_counter() as q:
        response = client.get("/admin/payments/reconciliation")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('id="transfer-') == 2 * n
    # the signed-in admin, open transfers (count + one page, orders joined) and due refunds:
    # the same for 2 or 12 transfers; the header's cart count
    assert q.count == 5, q.statements


def test_webhooks_need_no_csrf_token_but_admin_forms_do(db, client, app):
    order = make_order()
    admin = factories.user(role="admin")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert post_sepay(client, sepay_body(order, 130_000)).status_code == 200
        factories.login_as(client, admin)
        post_sepay(client, sepay_body("QN", 5_000, txn_id=9, content="khong ro"))
        transfer = _db.session.execute(sa.select(BankTransfer).where(BankTransfer.status == "unmatched")).scalar_one()
        forged = client.post(f"/admin/payments/transfers/{transfer.id}/refunded", data={"note": "x"})
        assert forged.status_code == 400
        assert _db.session.get(BankTransfer, transfer.id).status == "unmatched"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert reload(order).status == "paid"


@pytest.mark.parametrize("n", [2, 12])
def test_the_transfers_api_costs_the_same_queries_however_many_transfers(db, client, query_counter, n):
    for i in range(n):
        post_sepay(client, sepay_body(make_order(), 10_000, txn_id=3000 + i))
    factories.login_as(client, factories.user(role="admin"))
    with query_counter() as q:
        body = client.get("/api/v1/payments/transfers?per_page=100").get_json()
    assert body["total"] == n and all(item["order_code"] for item in body["items"])
    assert q.count == 3, q.statements  # the admin, the count, one page with its orders
