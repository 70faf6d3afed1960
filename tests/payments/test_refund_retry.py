"""`flask payments retry-refunds`: a refund Stripe could not make stays recorded as failed,
is tried again later, is adopted (never repeated) when Stripe holds it after all, and bank
transfers back are only listed, for a person to pay."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from marketplace.audit import AuditEntry
from marketplace.extensions import db as _db
from marketplace.orders.services import cancel_order
from marketplace.payments.providers.stripe import stripe_client
from marketplace.payments.models import LedgerEntry, Refund
from marketplace.stats.sales import sales_report
from marketplace.timeutil import local_today
from tests import factories
from tests.stripe_stub import UNREACHABLE_API_BASE

from .helpers import make_order, post_sepay, sepay_body
from .test_stripe import paid_card_order, reload


def refunds_at_stripe(intent: str) -> list:
    return stripe_client().v1.refunds.list(params={"payment_intent": intent}).data


def refund_posts(transport) -> list[dict]:
    return [c for c in transport.calls if c["path"] == "/v1/refunds" and c["method"] == "post"]


def retry(app, *args):
    return app.test_cli_runner().invoke(args=["payments", "retry-refunds", *args])


@pytest.fixture
def stripe_link(app, stripe_env):
    """`down()` makes Stripe unreachable (a closed port), `up()` brings localstripe back."""
    base = app.config["STRIPE_API_BASE"]
    return SimpleNamespace(down=lambda: app.config.update(STRIPE_API_BASE=UNREACHABLE_API_BASE),
                           up=lambda: app.config.update(STRIPE_API_BASE=base))


def test_a_refund_stripe_could_not_make_stays_failed_and_is_made_by_the_retry(app, db, client, stripe_link):
    order, _attempt, intent = paid_card_order(client, prices=(100_000,))  # 100.000 + 30.000 shipping
    stripe_link.down()
    cancel_order(order, factories.user("admin"), "Hết hàng")

    order = reload(order)
    refund = _db.session.execute(sa.select(Refund)).scalar_one()
    assert order.status == "cancelled"  # the cancellation stands
    assert (refund.status, refund.amount_vnd, refund.provider_ref, refund.refunded_at) == ("failed", 130_000, None, None)
    assert order.payment_status == "paid" and _db.session.execute(
        sa.select(LedgerEntry).where(LedgerEntry.kind == "refund")).first() is None
    today = local_today()
    assert sales_report(today, today).total.value_vnd == 100_000  # nothing given back yet: the sale stands

    # why it failed is kept (in the audit log) for the finance desk
    reasons = _db.session.execute(sa.select(AuditEntry.note).where(
        AuditEntry.action == "payments.refund_failed", AuditEntry.object_id == str(refund.id))).scalars().all()
    assert len(reasons) == 1 and "Connection refused" in reasons[0]

    still_down = retry(app)
    assert still_down.exit_code == 1 and "1 khoản vẫn lỗi" in still_down.output
    assert f"{'lỗi':10} #{refund.id} {order.code}" in still_down.output
    assert _db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "payments.refund_failed")).scalar_one() == 2
    _db.session.expire_all()
    assert _db.session.get(Refund, refund.id).status == "failed"

    stripe_link.up()
    result = retry(app)
    assert result.exit_code == 0, result.output
    assert "đã hoàn" in result.output and "0 khoản vẫn lỗi" in result.output
    _db.session.expire_all()
    refund = _db.session.get(Refund, refund.id)
    assert refund.status == "succeeded" and refund.refunded_at is not None
    assert [(r.id, r.amount) for r in refunds_at_stripe(intent)] == [(refund.provider_ref, 130_000)]
    assert reload(order).payment_status == "refunded" and order.parts[0].status == "refunded"
    assert sales_report(today, today).total.value_vnd == 0

    again = retry(app)  # nothing left to do; nothing refunded twice
    assert again.exit_code == 0 and "đã thử lại 0 khoản hoàn tiền lỗi" in again.output
    assert len(refunds_at_stripe(intent)) == 1


def test_a_refund_stripe_made_although_the_answer_was_lost_is_adopted_not_repeated(app, db, client, stripe_env):
    order, _attempt, intent = paid_card_order(client, prices=(200_000,))
    part = order.parts[0]
    failed = Refund(order_id=order.id, part_id=part.id, amount_vnd=230_000, method="stripe", status="failed",
                    reason="Khách đổi ý")
    _db.session.add(failed)
    _db.session.commit()
    # The first try reached Stripe, but its answer never came back.
    made = stripe_client().v1.refunds.create(params={
        "payment_intent": intent, "amount": 230_000,
        "metadata": {"order_code": order.code, "part_id": str(part.id), "refund_id": str(failed.id)}})
    posts_before = len(refund_posts(stripe_env))

    result = retry(app)

    assert result.exit_code == 0, result.output
    assert "đã ghi nhận" in result.output
    assert len(refund_posts(stripe_env)) == posts_before  # asked Stripe, made nothing new
    refund = _db.session.get(Refund, failed.id)
    assert (refund.status, refund.provider_ref) == ("succeeded", made.id)
    assert len(refunds_at_stripe(intent)) == 1
    entries = _db.session.execute(sa.select(LedgerEntry.kind, LedgerEntry.amount_vnd)
                                  .where(LedgerEntry.order_id == order.id).order_by(LedgerEntry.id)).all()
    assert entries == [("payment", 230_000), ("refund", 230_000)]


def test_bank_transfer_refunds_are_listed_for_a_person_and_do_not_fail_the_run(app, db, client):
    order = make_order(method="vietqr", prices=(150_000,))
    assert post_sepay(client, sepay_body(order, order.total_vnd, txn_id=5501)).status_code == 200
    cancel_order(reload(order), factories.user("admin"), "Hết hàng")
    refund = _db.session.execute(sa.select(Refund)).scalar_one()
    assert (refund.method, refund.status) == ("vietqr", "due")

    result = retry(app)

    assert result.exit_code == 0, result.output
    assert f"{'thủ công':10} #{refund.id} {order.code}" in result.output and "1 khoản hoàn tiền chuyển khoản" in result.output
    assert _db.session.get(Refund, refund.id).status == "due"  # only a person can pay it back
    english = retry(app, "--lang", "en").output
    assert f"by hand    #{refund.id} {order.code}" in english and "pay back by bank transfer" in english
    assert "0 failed refunds retried, 0 still failing; 1 bank-transfer refund waiting to be paid back by hand" in english


def test_repeating_a_failed_parts_refund_returns_the_recorded_refund(db, client, stripe_link):
    from marketplace.orders.status import apply_part_transition
    from marketplace.payments.refunds import refund_part

    order, _attempt, _intent = paid_card_order(client)
    stripe_link.down()
    part = order.parts[0]
    apply_part_transition(part, "cancelled", None, "test")
    first = refund_part(part, None, "test")
    _db.session.commit()
    assert first.status == "failed"
    assert refund_part(part, None, "test").id == first.id
    assert _db.session.execute(sa.select(sa.func.count()).select_from(Refund)).scalar_one() == 1
