"""Approving and suspending producers: who may sell, what shoppers see, what is recorded."""
from __future__ import annotations

import json

import pytest

from marketplace.admin import services
from marketplace.audit import AuditEntry
from marketplace.catalog.listing import BrowseParams, browse
from marketplace.errors import ValidationFailed
from marketplace.orders.models import Order
from tests import factories as f


def test_an_unapproved_producer_sells_only_after_approval_and_it_is_audited(db):
    admin = f.user("admin")
    producer = f.producer(approved=False)
    item = f.product(prod=producer)
    assert browse(BrowseParams()).total == 0

    services.approve_producer(admin, producer.id)

    assert [p.id for p in browse(BrowseParams()).items] == [item.id]
    db.session.refresh(producer)
    assert producer.approved and producer.approved_at is not None
    entry = db.session.query(AuditEntry).one()
    assert (entry.actor_id, entry.action, entry.object_type, entry.object_id) == (
        admin.id, "producer.approve", "producer", str(producer.id))
    assert json.loads(entry.before)["approved"] is False and json.loads(entry.after)["approved"] is True


def test_approving_twice_changes_nothing_and_writes_one_audit_row(db):
    admin = f.user("admin")
    producer = f.producer(approved=False)
    first = services.approve_producer(admin, producer.id).approved_at
    assert services.approve_producer(admin, producer.id).approved_at == first
    assert db.session.query(AuditEntry).count() == 1


def test_suspension_takes_listings_out_of_the_shop_at_once_but_open_orders_continue(db):
    admin = f.user("admin")
    producer = f.producer()
    item = f.product(prod=producer)
    other = f.product()
    # An open order: paid, the producer's part confirmed and still to ship.
    order = f.move_parts(f.paid_order([(item, 1)]), "confirmed")

    services.suspend_producer(admin, producer.id, "Hồ sơ an toàn thực phẩm hết hạn")

    assert [p.id for p in browse(BrowseParams()).items] == [other.id]
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "paid"
    assert db.session.get(Order, order.id).parts[0].status == "confirmed"
    producer = db.session.get(type(producer), producer.id)
    assert producer.suspension_reason == "Hồ sơ an toàn thực phẩm hết hạn" and not producer.can_sell
    entry = db.session.query(AuditEntry).filter_by(action="producer.suspend").one()
    assert entry.note == "Hồ sơ an toàn thực phẩm hết hạn"
    assert json.loads(entry.after)["suspension_reason"] == "Hồ sơ an toàn thực phẩm hết hạn"

    services.reinstate_producer(admin, producer.id)
    assert {p.id for p in browse(BrowseParams()).items} == {item.id, other.id}
    assert db.session.query(AuditEntry).filter_by(action="producer.reinstate").count() == 1


def test_suspension_needs_a_reason_and_writes_nothing_without_one(db):
    admin = f.user("admin")
    producer = f.producer()
    with pytest.raises(ValidationFailed) as caught:
        services.suspend_producer(admin, producer.id, "   ")
    assert "reason" in caught.value.fields
    db.session.refresh(producer)
    assert producer.suspended_at is None and db.session.query(AuditEntry).count() == 0


def test_the_producer_is_told_by_email_when_suspended(app, db, tmp_path):
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path)
    try:
        producer = f.producer(email="htx@example.vn")
        f.user("seller", email="ban@example.vn", producer_id=producer.id)
        services.suspend_producer(f.user("admin"), producer.id, "Vi phạm quy chế")
    finally:
        app.config["MAIL_OUTBOX_DIR"] = str(tmp_path.parent / "outbox")
    mails = [p.read_bytes().decode() for p in tmp_path.glob("*.eml")]
    assert len(mails) == 1 and "htx@example.vn, ban@example.vn" in mails[0]


def test_producer_list_filters_and_searches_without_accents(db):
    f.producer("HTX Trà hoa vàng Ba Chẽ", approved=False)
    f.producer("Công ty Chả mực Hạ Long")
    suspended = f.producer("HTX Ngán Đầm Hà")
    services.suspend_producer(f.user("admin"), suspended.id, "Tạm dừng")

    assert [p.name for p in services.list_producers("tra hoa vang").items] == ["HTX Trà hoa vàng Ba Chẽ"]
    assert [p.name for p in services.list_producers(status="pending").items] == ["HTX Trà hoa vàng Ba Chẽ"]
    assert [p.name for p in services.list_producers(status="approved").items] == ["Công ty Chả mực Hạ Long"]
    assert [p.name for p in services.list_producers(status="suspended").items] == ["HTX Ngán Đầm Hà"]
    assert services.list_producers().total == 3
