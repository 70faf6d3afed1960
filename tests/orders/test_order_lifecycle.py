"""Order life: payment, fulfilment per part, cancellation, expiry; every move in the history."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from tests import factories as f
from tests.factories import place_order, reload, stock_of
from marketplace.catalog.models import Product
from marketplace.errors import Conflict, ValidationFailed
from marketplace.orders import services
from marketplace.orders.models import Order, OrderEvent
from marketplace.orders.status import IllegalTransition
from marketplace.timeutil import utcnow

PAID_AT = datetime(2026, 3, 1, 2, 15, tzinfo=timezone.utc)


@pytest.fixture
def two_producer_order(db):
    honey = f.product("Mật ong", price_vnd=200_000, stock=10)
    tea = f.product("Trà hoa vàng", price_vnd=300_000, stock=10)
    return place_order([(honey, 2), (tea, 1)]), honey, tea


def _events(order, part=None):
    query = sa.select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    rows = f.db.session.scalars(query).all()
    return [(e.part_id, e.from_status, e.to_status, e.actor_label) for e in rows
            if part is None or e.part_id == part.id]


def test_mark_paid_records_the_provider_time_and_counts_units_sold(two_producer_order):
    order, honey, tea = two_producer_order
    services.mark_order_paid(order, PAID_AT, actor="sepay", note="transfer FT123")
    order = reload(order)
    assert order.status == "paid" and order.payment_status == "paid"
    assert order.paid_at == PAID_AT
    assert f.db.session.get(Product, honey.id).sold_count == 2
    assert f.db.session.get(Product, tea.id).sold_count == 1
    last = f.db.session.scalars(sa.select(OrderEvent).where(OrderEvent.part_id.is_(None))
                                .order_by(OrderEvent.id.desc())).first()
    assert (last.from_status, last.to_status, last.actor_label, last.note) == (
        "pending_payment", "paid", "sepay", "transfer FT123")


def test_paying_twice_is_refused(two_producer_order):
    order, honey, _ = two_producer_order
    services.mark_order_paid(order, PAID_AT)
    with pytest.raises(IllegalTransition) as exc:
        services.mark_order_paid(reload(order), PAID_AT)
    assert exc.value.status == 409
    assert f.db.session.get(Product, honey.id).sold_count == 2  # counted once


def test_parts_move_through_fulfilment_and_the_order_completes_when_all_are_delivered(two_producer_order):
    order, *_ = two_producer_order
    seller = f.user("seller", producer_id=order.parts[0].producer_id)
    services.mark_order_paid(order, PAID_AT)
    first, second = reload(order).parts

    services.update_part_status(first, "confirmed", seller)
    services.update_part_status(first, "shipped", seller, carrier="ghn", tracking_number="GHN 5DKX 9R2")
    services.update_part_status(first, "delivered", seller)
    assert reload(order).status == "paid"  # the other parcel is still on its way

    services.update_part_status(second, "confirmed", "admin")
    services.update_part_status(second, "shipped", "admin", carrier="vnpost", tracking_number="EB123456789VN")
    services.update_part_status(second, "delivered", "admin", note="nhận tại bưu cục")

    order = reload(order)
    assert order.status == "completed"
    first = order.parts[0]
    assert (first.carrier, first.tracking_number) == ("ghn", "GHN5DKX9R2")
    assert first.shipped_at is not None and first.delivered_at is not None
    assert [e[1:] for e in _events(order, first)] == [
        (None, "pending", "shopper"), ("pending", "confirmed", "seller"), ("confirmed", "shipped", "seller"),
        ("shipped", "delivered", "seller")]
    assert [e[1:3] for e in _events(order) if e[0] is None] == [
        (None, "pending_payment"), ("pending_payment", "paid"), ("paid", "completed")]


@pytest.mark.parametrize("path, illegal", [
    ((), "shipped"),  # pending -> shipped skips confirmation
    ((), "delivered"),
    (("confirmed", "shipped"), "confirmed"),  # no going back
    (("confirmed", "shipped", "delivered"), "shipped"),
])
def test_illegal_part_moves_are_refused_with_409(two_producer_order, path, illegal):
    order, *_ = two_producer_order
    services.mark_order_paid(order, PAID_AT)
    part = reload(order).parts[0]
    for step in path:
        services.update_part_status(part, step, "admin", carrier="ghtk", tracking_number="S1234567")
    before = len(_events(order))
    with pytest.raises(IllegalTransition) as exc:
        services.update_part_status(part, illegal, "admin", carrier="ghtk", tracking_number="S1234567")
    assert exc.value.status == 409
    assert len(_events(order)) == before  # nothing written


def test_parts_of_an_unpaid_order_cannot_move(two_producer_order):
    order, *_ = two_producer_order
    with pytest.raises(Conflict) as exc:
        services.update_part_status(order.parts[0], "confirmed", "admin")
    assert exc.value.status == 409
    assert reload(order).parts[0].status == "pending"


def test_shipping_needs_a_known_carrier_and_a_tracking_number(two_producer_order):
    order, *_ = two_producer_order
    services.mark_order_paid(order, PAID_AT)
    part = reload(order).parts[0]
    services.update_part_status(part, "confirmed", "admin")
    with pytest.raises(ValidationFailed) as exc:
        services.update_part_status(part, "shipped", "admin", carrier="pigeon", tracking_number="")
    assert set(exc.value.fields) == {"carrier", "tracking_number"}
    assert reload(order).parts[0].status == "confirmed"


def test_cancelling_an_unpaid_order_puts_the_stock_back_once(two_producer_order):
    order, honey, tea = two_producer_order
    assert (stock_of(honey), stock_of(tea)) == (8, 9)

    services.cancel_order(order, "shopper", "đặt nhầm")
    order = reload(order)
    assert order.status == "cancelled" and order.cancelled_at is not None
    assert [p.status for p in order.parts] == ["cancelled", "cancelled"]
    assert order.stock_released_at is not None
    assert (stock_of(honey), stock_of(tea)) == (10, 10)

    with pytest.raises(IllegalTransition):
        services.cancel_order(order, "shopper", "again")
    assert (stock_of(honey), stock_of(tea)) == (10, 10)


def test_a_shipped_order_cannot_be_cancelled(two_producer_order):
    order, honey, _ = two_producer_order
    services.mark_order_paid(order, PAID_AT)
    part = reload(order).parts[0]
    services.update_part_status(part, "confirmed", "admin")
    services.update_part_status(part, "shipped", "admin", carrier="jt", tracking_number="860012345678")
    with pytest.raises(Conflict) as exc:
        services.cancel_order(reload(order), "shopper", "")
    assert exc.value.code == "already_shipped"
    assert reload(order).status == "paid" and stock_of(honey) == 8


def test_cancelling_one_part_releases_only_its_stock(two_producer_order):
    order, honey, tea = two_producer_order
    services.mark_order_paid(order, PAID_AT)
    honey_part = next(p for p in reload(order).parts if p.lines[0].product_id == honey.id)

    services.cancel_part(honey_part, "seller", "hết hàng thật")
    order = reload(order)
    assert order.status == "paid"
    assert sorted(p.status for p in order.parts) == ["cancelled", "pending"]
    assert (stock_of(honey), stock_of(tea)) == (10, 9)

    tea_part = next(p for p in order.parts if p.status == "pending")
    services.update_part_status(tea_part, "cancelled", "admin", note="khách đổi ý")
    order = reload(order)
    assert order.status == "cancelled"
    assert (stock_of(honey), stock_of(tea)) == (10, 10)


def test_a_part_of_an_unpaid_order_is_cancelled_with_the_whole_order(two_producer_order):
    order, *_ = two_producer_order
    with pytest.raises(Conflict) as exc:
        services.cancel_part(order.parts[0], "seller", "")
    assert exc.value.code == "order_not_paid"


def test_remaining_parts_delivered_complete_the_order_after_a_cancelled_part(two_producer_order):
    order, *_ = two_producer_order
    services.mark_order_paid(order, PAID_AT)
    first, second = reload(order).parts
    services.cancel_part(first, "admin", "")
    for step in ("confirmed", "shipped", "delivered"):
        services.update_part_status(second, step, "admin", carrier="viettelpost", tracking_number="1234567890")
    assert reload(order).status == "completed"


def _make_due(order, minutes_ago: int = 1):
    f.db.session.execute(sa.update(Order).where(Order.id == order.id)
                         .values(payment_due_at=utcnow() - timedelta(minutes=minutes_ago)))
    f.db.session.commit()


def test_expire_unpaid_expires_only_due_unpaid_orders(db, app):
    item = f.product(stock=10)
    due = place_order([(item, 2)])
    not_due = place_order([(item, 1)])
    paid = place_order([(item, 3)])
    services.mark_order_paid(paid, PAID_AT)
    _make_due(due)
    _make_due(paid)
    assert stock_of(item) == 4

    result = app.test_cli_runner().invoke(args=["orders", "expire-unpaid"])

    assert result.exit_code == 0, result.output
    assert "1 đơn đã chuyển sang hết hạn thanh toán" in result.output
    assert reload(due).status == "expired"
    assert [p.status for p in reload(due).parts] == ["cancelled"]
    assert reload(not_due).status == "pending_payment"
    assert reload(paid).status == "paid"
    assert stock_of(item) == 6
    # Running it again changes nothing (and says so in English when asked).
    again = app.test_cli_runner().invoke(args=["orders", "expire-unpaid", "--lang", "en"]).output
    assert "0 unpaid orders past due" in again and "expired 0 orders" in again
    assert stock_of(item) == 6


def test_expire_order_is_a_no_op_once_paid(db):
    item = f.product(stock=5)
    order = place_order([(item, 1)], method="stripe")
    services.mark_order_paid(order, PAID_AT)
    assert services.expire_order(reload(order)) is False
    assert reload(order).status == "paid" and stock_of(item) == 4


def test_provider_expiry_does_not_wait_for_the_window(db):
    item = f.product(stock=5)
    order = place_order([(item, 2)], method="stripe")
    assert services.expire_order(order) is True
    assert reload(order).status == "expired" and stock_of(item) == 5
