"""SePay and Casso notifications: authentication, matching, partial and unmatched
transfers, outgoing transfers, replays, stale and forged notifications."""
from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from email import policy
from email.parser import BytesParser

from marketplace.extensions import db as _db
from marketplace.orders.models import Order, OrderEvent
from marketplace.payments.models import BankTransfer, LedgerEntry, ProviderEvent

from .helpers import (casso_body, casso_signature_header, make_order, post_casso, post_sepay, sepay_body)


def count(model, *where) -> int:
    return _db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def reload(order: Order) -> Order:
    _db.session.expire_all()
    return _db.session.get(Order, order.id)


def outbox(app) -> list[str]:
    folder = app.config["MAIL_OUTBOX_DIR"]
    if not os.path.isdir(folder):
        return []
    return sorted(os.path.join(folder, name) for name in os.listdir(folder))


def nothing_recorded():
    return count(ProviderEvent) == 0 and count(LedgerEntry) == 0 and count(BankTransfer) == 0


# ---- SePay ----------------------------------------------------------------------------------

def test_sepay_full_transfer_pays_the_order_at_the_banks_time(db, client, app):
    order = make_order(prices=(100_000,))  # 130.000 with shipping
    mails_before = set(outbox(app))

    response = post_sepay(client, sepay_body(order, 130_000, when="2025-03-01 09:15:00"))

    assert response.status_code == 200
    assert response.get_json()["success"] is True
    order = reload(order)
    assert order.status == "paid" and order.payment_status == "paid"
    # 09:15 in Hanoi (UTC+7) is 02:15 UTC.
    assert order.paid_at == datetime(2025, 3, 1, 2, 15, tzinfo=timezone.utc)
    entry = _db.session.execute(sa.select(LedgerEntry)).scalar_one()
    assert (entry.order_id, entry.kind, entry.method, entry.amount_vnd) == (order.id, "payment", "vietqr", 130_000)
    assert _db.session.execute(sa.select(BankTransfer.status)).scalar_one() == "matched"
    (new_mail,) = set(outbox(app)) - mails_before
    with open(new_mail, "rb") as fh:
        mail = BytesParser(policy=policy.default).parse(fh)
    assert mail["To"] == order.contact_email
    assert mail["Subject"] == f"Đã nhận thanh toán cho đơn hàng {order.code}"
    assert "130.000\xa0₫" in mail.get_content() and "01/03/2025 09:15" in mail.get_content()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Apikey wrong"}, {"Authorization": "Bearer sepay-test-key-123"},
                                     {"Authorization": "sepay-test-key-123"}])
def test_sepay_with_bad_credentials_is_refused_and_changes_nothing(db, client, headers):
    order = make_order()
    response = client.post("/payments/sepay/webhook", data=json.dumps(sepay_body(order, 130_000)),
                           headers=headers, content_type="application/json")
    assert response.status_code == 401
    assert reload(order).status == "pending_payment"
    assert nothing_recorded()


def test_sepay_is_refused_when_no_key_is_configured(db, client, payment_settings):
    order = make_order()
    payment_settings["SEPAY_API_KEY"] = ""
    assert post_sepay(client, sepay_body(order, 130_000), key="").status_code == 401
    assert nothing_recorded()


@pytest.mark.parametrize("mutate", [
    lambda b: b.pop("id"),
    lambda b: b.update(transferAmount="130000.5"),
    lambda b: b.update(transferAmount=130000.5),
    lambda b: b.update(transactionDate="01/03/2025 09:15"),
    lambda b: b.update(transferType="sideways"),
])
def test_malformed_sepay_notifications_are_400_and_change_nothing(db, client, mutate):
    order = make_order()
    body = sepay_body(order, 130_000)
    mutate(body)
    response = post_sepay(client, body)
    assert response.status_code == 400
    assert reload(order).status == "pending_payment"
    assert nothing_recorded()


def test_sepay_non_json_body_is_400(db, client):
    response = client.post("/payments/sepay/webhook", data=b"\xff\xfe not json",
                           headers={"Authorization": "Apikey sepay-test-key-123"}, content_type="application/json")
    assert response.status_code == 400
    assert nothing_recorded()


def test_the_same_sepay_notification_20_times_pays_once_with_one_ledger_entry(db, client, app):
    order = make_order()
    mails_before = len(outbox(app))
    body = sepay_body(order, 130_000, txn_id=555)

    replies = [post_sepay(client, body) for _ in range(20)]

    assert all(r.status_code == 200 and r.get_json()["success"] is True for r in replies)
    assert reload(order).status == "paid"
    assert count(LedgerEntry) == 1 and count(ProviderEvent) == 1 and count(BankTransfer) == 1
    assert count(OrderEvent, OrderEvent.order_id == order.id, OrderEvent.to_status == "paid") == 1
    assert len(outbox(app)) == mails_before + 1


def test_reference_matches_whatever_case_and_spacing_the_bank_used(db, client):
    order = make_order()
    ref = order.payment_reference
    mangled = f"IBFT {ref[:3].lower()} {ref[3:7]} - {ref[7:].lower()} chuyen khoan"
    post_sepay(client, sepay_body(order, 130_000, content=mangled))
    assert reload(order).status == "paid"


def test_any_alphanumeric_reference_format_is_matched(db, client):
    order = make_order(reference="OCOP7KM4PQ9XDA")
    other = make_order(reference="OCOP7KM4PQ9XDB")
    post_sepay(client, sepay_body(order, 130_000, content="Thanh toán đơn ocop 7km4p-q9xda, cảm ơn"))
    assert reload(order).status == "paid" and reload(other).status == "pending_payment"


def test_outgoing_transfers_are_acknowledged_and_ignored(db, client):
    order = make_order()
    response = post_sepay(client, sepay_body(order, 130_000, transfer_type="out"))
    assert response.status_code == 200 and response.get_json()["success"] is True
    assert reload(order).status == "pending_payment"
    assert count(LedgerEntry) == 0 and count(BankTransfer) == 0
    assert _db.session.execute(sa.select(ProviderEvent.outcome)).scalar_one() == "ignored_outgoing"


def test_a_transfer_to_another_account_does_not_pay(db, client):
    order = make_order()
    post_sepay(client, sepay_body(order, 130_000, account="999888777"))
    assert reload(order).status == "pending_payment"
    assert count(LedgerEntry) == 0


def test_a_partial_transfer_goes_to_reconciliation_and_the_rest_completes_it(db, client):
    order = make_order()  # 130.000
    post_sepay(client, sepay_body(order, 100_000, txn_id=1, when="2025-03-01 09:00:00"))
    order = reload(order)
    assert order.status == "pending_payment" and order.payment_status == "unpaid"
    assert _db.session.execute(sa.select(BankTransfer.status)).scalar_one() == "partial"

    post_sepay(client, sepay_body(order, 30_000, txn_id=2, when="2025-03-01 10:30:00"))
    order = reload(order)
    assert order.status == "paid"
    assert order.paid_at == datetime(2025, 3, 1, 3, 30, tzinfo=timezone.utc)  # when the total was reached
    assert sorted(_db.session.execute(sa.select(BankTransfer.status)).scalars()) == ["matched", "matched"]
    assert count(LedgerEntry, LedgerEntry.order_id == order.id) == 2


def test_an_unmatched_transfer_is_kept_for_reconciliation(db, client):
    make_order()
    post_sepay(client, sepay_body("QN", 50_000, content="tien hang thang 3"))
    transfer = _db.session.execute(sa.select(BankTransfer)).scalar_one()
    assert transfer.status == "unmatched" and transfer.order_id is None
    entry = _db.session.execute(sa.select(LedgerEntry)).scalar_one()
    assert entry.order_id is None and entry.amount_vnd == 50_000


def test_money_for_an_expired_order_is_not_booked_to_it(db, client):
    from marketplace.orders.status import apply_order_transition

    order = make_order()
    apply_order_transition(order, "expired", None, "test")
    _db.session.commit()
    post_sepay(client, sepay_body(order, 130_000))
    order = reload(order)
    assert order.status == "expired" and order.paid_at is None
    transfer = _db.session.execute(sa.select(BankTransfer)).scalar_one()
    assert transfer.status == "unmatched" and transfer.order_id == order.id and "expired" in transfer.note
    assert _db.session.execute(sa.select(LedgerEntry.order_id)).scalar_one() is None


def test_a_second_transfer_for_a_paid_order_is_flagged_as_overpaid(db, client):
    order = make_order()
    post_sepay(client, sepay_body(order, 130_000, txn_id=1))
    post_sepay(client, sepay_body(order, 130_000, txn_id=2))
    statuses = dict(_db.session.execute(sa.select(BankTransfer.provider_txn_id, BankTransfer.status)).all())
    assert statuses == {"1": "matched", "2": "overpaid"}
    assert count(OrderEvent, OrderEvent.order_id == order.id, OrderEvent.to_status == "paid") == 1


# ---- Casso ----------------------------------------------------------------------------------

def test_casso_signed_notification_pays_the_order(db, client):
    order = make_order()
    body = casso_body(order, 130_000, when="2025-03-01 23:30:00")
    response = post_casso(client, body)
    assert response.status_code == 200 and response.get_json()["success"] is True
    order = reload(order)
    assert order.status == "paid"
    assert order.paid_at == datetime(2025, 3, 1, 16, 30, tzinfo=timezone.utc)


def test_casso_signature_covers_vietnamese_text_unescaped(db, client):
    order = make_order()
    body = casso_body(order, 130_000, description=f"Nguyễn Văn Ân chuyển tiền {order.payment_reference}")
    assert post_casso(client, body).status_code == 200
    assert reload(order).status == "paid"


def test_casso_wrong_key_is_refused_and_changes_nothing(db, client):
    order = make_order()
    body = casso_body(order, 130_000)
    response = post_casso(client, body, header=casso_signature_header(body, key="not-the-key"))
    assert response.status_code == 401
    assert reload(order).status == "pending_payment" and nothing_recorded()


def test_casso_forged_body_is_refused(db, client):
    order = make_order()
    signed = casso_body(order, 1_000)
    forged = casso_body(order, 130_000)
    response = post_casso(client, forged, header=casso_signature_header(signed))
    assert response.status_code == 401
    assert reload(order).status == "pending_payment" and nothing_recorded()


@pytest.mark.parametrize("header", ["", "t=abc,v1=00", "v1=deadbeef", "t=1700000000000"])
def test_casso_missing_or_garbled_signature_is_refused(db, client, header):
    order = make_order()
    assert post_casso(client, casso_body(order, 130_000), header=header).status_code == 401
    assert nothing_recorded()


def test_casso_stale_notification_is_refused(db, client, payment_settings):
    order = make_order()
    body = casso_body(order, 130_000)
    max_age = payment_settings["BANK_WEBHOOK_MAX_AGE_S"]
    stale = int((time.time() - max_age - 5) * 1000)
    response = post_casso(client, body, header=casso_signature_header(body, t_ms=stale))
    assert response.status_code == 401
    assert reload(order).status == "pending_payment" and nothing_recorded()
    fresh = int((time.time() - max_age + 30) * 1000)
    assert post_casso(client, body, header=casso_signature_header(body, t_ms=fresh)).status_code == 200


def test_the_same_casso_notification_20_times_pays_once_with_one_ledger_entry(db, client):
    order = make_order()
    body = casso_body(order, 130_000, txn_id=999)
    replies = [post_casso(client, body) for _ in range(20)]
    assert all(r.status_code == 200 for r in replies)
    assert reload(order).status == "paid"
    assert count(LedgerEntry) == 1 and count(ProviderEvent) == 1
    assert count(OrderEvent, OrderEvent.order_id == order.id, OrderEvent.to_status == "paid") == 1


def test_casso_outgoing_transfer_is_ignored(db, client):
    order = make_order()
    assert post_casso(client, casso_body(order, -130_000)).status_code == 200
    assert reload(order).status == "pending_payment" and count(LedgerEntry) == 0


def test_casso_partial_transfer_goes_to_reconciliation(db, client):
    order = make_order()
    post_casso(client, casso_body(order, 65_000))
    assert reload(order).status == "pending_payment"
    assert _db.session.execute(sa.select(BankTransfer.status)).scalar_one() == "partial"


def test_casso_malformed_but_signed_body_is_400(db, client):
    body = {"error": 0, "data": {"id": "x", "amount": "lots"}}
    assert post_casso(client, body).status_code == 400
    assert nothing_recorded()
