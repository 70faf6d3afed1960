"""Sales statistics to the dong: when a sale counts, when a refund counts, what never counts."""
from __future__ import annotations

from datetime import date

import pytest

from marketplace.errors import ValidationFailed
from marketplace.orders.services import cancel_order
from marketplace.stats.sales import GROUPINGS, allocate, sales_report
from tests import factories as f
from tests.factories import local, paid_order
from tests.stats.conftest import refund_by_hand


@pytest.fixture
def catalogue(db):
    food = f.category("Thực phẩm", "Food")
    tea = f.category("Trà", "Tea", parent=food)
    drinks = f.category("Đồ uống", "Drinks")
    hong_gai = f.locality("Hồng Gai", "Hạ Long", "ward")
    ba_che = f.locality("Ba Chẽ", "Ba Chẽ")
    coop = f.producer("HTX Trà hoa vàng", kind="cooperative", loc=ba_che)
    firm = f.producer("Công ty Chả mực", kind="enterprise", loc=hong_gai)
    f.flat_shipping(coop, firm, fee_vnd=0)  # goods only, unless a test charges shipping
    return {
        "tea": f.product("Trà hoa vàng", price_vnd=450_000, prod=coop, cat=tea, stars=5, stock=1000),
        "squid": f.product("Chả mực", price_vnd=380_000, prod=firm, cat=food, stars=4, stock=1000),
        # Certified while it is sold (the checkout sells nothing else); a test about stars lets
        # its certificate lapse before the sales' dates.
        "wine": f.product("Rượu ba kích", price_vnd=125_000, prod=firm, cat=drinks, stars=4, stock=1000),
    }


def guest(email: str) -> dict:
    return {"contact": {"email": email}}


def part_of(order, product):
    return next(p for p in order.parts if p.producer_id == product.producer_id)


def by_key(report):
    return {row.key: row for row in report.rows}


def test_an_order_paid_at_23_30_local_on_the_last_day_of_a_month_counts_in_that_month(catalogue):
    paid_order([(catalogue["tea"], 1)], local(2025, 1, 31, 23, 30))  # 16:30 UTC, still January locally
    paid_order([(catalogue["tea"], 2)], local(2025, 2, 1, 0, 10))  # 31 Jan 17:10 UTC, February locally
    report = sales_report(date(2025, 1, 1), date(2025, 2, 28), "month")
    rows = by_key(report)
    assert rows["2025-01"].value_vnd == 450_000 and rows["2025-01"].orders == 1
    assert rows["2025-02"].value_vnd == 900_000 and rows["2025-02"].units == 2
    # the date range is local too: January alone excludes the 00:10 February order
    assert sales_report(date(2025, 1, 1), date(2025, 1, 31)).total.value_vnd == 450_000
    assert sales_report(date(2025, 2, 1), date(2025, 2, 1)).total.value_vnd == 900_000


def test_a_refund_in_a_later_month_reduces_that_later_month(catalogue):
    order = paid_order([(catalogue["squid"], 3)], local(2025, 3, 20, 10, 0))
    refund_by_hand(order, 380_000, local(2025, 4, 1, 0, 5))
    # the rest, refunded by cancelling the part, is not paid back yet: no effect
    f.refund_part(order.parts[0], local(2025, 4, 2, 9, 0), paid_back=False)
    rows = by_key(sales_report(date(2025, 3, 1), date(2025, 4, 30), "month"))
    assert rows["2025-03"].value_vnd == 1_140_000 and rows["2025-03"].refunds_vnd == 0
    assert rows["2025-04"].value_vnd == -380_000 and rows["2025-04"].refunds_vnd == 380_000
    assert rows["2025-04"].orders == 0  # no sale that month, only the refund
    # March alone still shows the whole sale
    assert sales_report(date(2025, 3, 1), date(2025, 3, 31)).total.value_vnd == 1_140_000


def test_cancelled_expired_and_unpaid_orders_never_count(catalogue):
    when = local(2025, 5, 10, 9, 0)
    paid = paid_order([(catalogue["wine"], 1)], when)
    f.place_order([(catalogue["wine"], 5)])  # waiting for payment
    f.expired_order([(catalogue["wine"], 7)])
    never_paid = cancel_order(f.place_order([(catalogue["wine"], 9)]), "shopper", "Đặt nhầm")
    refund_by_hand(never_paid, 9 * 125_000, local(2025, 5, 11, 9, 0))  # a stray refund row cannot make it count
    report = sales_report(date(2025, 5, 1), date(2025, 5, 31), "month")
    assert (report.total.value_vnd, report.total.refunds_vnd) == (125_000, 0)
    assert report.total.units == 1 and report.total.orders == 1
    assert [r.key for r in report.rows] == ["2025-05"]
    assert paid.status == "paid"
    for group_by in GROUPINGS:
        assert sales_report(date(2025, 5, 1), date(2025, 5, 31), group_by).total == report.total, group_by


def test_an_order_cancelled_after_payment_keeps_its_sale_and_its_refund_counts_when_made(catalogue):
    """One rule: paid means counted, whatever the status is now; what was given back counts
    from the succeeded refunds, in their own month."""
    cancelled = paid_order([(catalogue["wine"], 11)], local(2025, 5, 31, 23, 30))
    f.refund_part(cancelled.parts[0], local(2025, 6, 1, 8, 0))  # 11 x 125,000 back
    refunded = paid_order([(catalogue["squid"], 1)], local(2025, 5, 3, 9, 0))
    f.refund_part(refunded.parts[0], local(2025, 5, 4, 9, 0))  # same month: nets to zero there
    assert (f.reload(cancelled).status, f.reload(refunded).parts[0].status) == ("cancelled", "refunded")
    rows = by_key(sales_report(date(2025, 5, 1), date(2025, 6, 30), "month"))
    assert (rows["2025-05"].gross_vnd, rows["2025-05"].refunds_vnd) == (1_375_000 + 380_000, 380_000)
    assert rows["2025-05"].value_vnd == 1_375_000 and rows["2025-05"].orders == 2
    assert (rows["2025-06"].value_vnd, rows["2025-06"].refunds_vnd, rows["2025-06"].orders) == (-1_375_000, 1_375_000, 0)
    # a report of May alone does not know about June's refund: published months do not change
    assert sales_report(date(2025, 5, 1), date(2025, 5, 31)).total.value_vnd == 1_375_000


def test_a_cancelled_paid_order_whose_refund_is_due_or_failed_still_counts_in_full(catalogue):
    order = paid_order([(catalogue["tea"], 2)], local(2025, 10, 2, 10, 0))
    f.refund_part(order.parts[0], local(2025, 10, 3, 10, 0), paid_back=False)  # cancelled, refund due
    refund_by_hand(order, 450_000, local(2025, 10, 3, 11, 0), status="failed")
    total = sales_report(date(2025, 10, 1), date(2025, 10, 31)).total
    assert (total.gross_vnd, total.refunds_vnd, total.value_vnd) == (900_000, 0, 900_000)


def test_figures_to_the_dong_with_buyers_and_producers(catalogue):
    alice = f.user("shopper", email="alice@example.vn")
    when = local(2025, 6, 5, 8, 0)
    f.flat_shipping(catalogue["tea"].producer, catalogue["squid"].producer, fee_vnd=30_000)
    paid_order([(catalogue["tea"], 2), (catalogue["squid"], 1)], when, user=alice)
    f.flat_shipping(catalogue["tea"].producer, catalogue["squid"].producer, fee_vnd=0)
    paid_order([(catalogue["squid"], 1)], when, user=alice)
    paid_order([(catalogue["wine"], 3)], when, **guest("Guest@Example.vn"))
    paid_order([(catalogue["wine"], 1)], when, **guest("guest@example.vn"))
    total = sales_report(date(2025, 6, 1), date(2025, 6, 30), "month").total
    # goods only: 2 x 450,000 + 2 x 380,000 + 4 x 125,000 (shipping is not a sale)
    assert (total.value_vnd, total.gross_vnd, total.refunds_vnd) == (2_160_000, 2_160_000, 0)
    assert (total.orders, total.units, total.buyers, total.producers) == (4, 8, 2, 2)


def test_a_part_refund_reduces_only_its_goods_share_spread_over_its_lines(catalogue):
    f.flat_shipping(catalogue["tea"].producer, catalogue["squid"].producer, fee_vnd=30_000)
    order = paid_order([(catalogue["squid"], 1), (catalogue["wine"], 2), (catalogue["tea"], 1)],
                       local(2025, 7, 1, 12, 0))
    # the whole firm part back: 380,000 + 250,000 goods + 30,000 shipping
    refund = f.refund_part(part_of(order, catalogue["squid"]), local(2025, 7, 2, 12, 0))
    assert refund.amount_vnd == 660_000
    report = sales_report(date(2025, 7, 1), date(2025, 7, 31), "producer")
    rows = {row.labels[0]: row for row in report.rows}
    assert rows["Công ty Chả mực"].value_vnd == 0 and rows["Công ty Chả mực"].refunds_vnd == 630_000
    assert rows["HTX Trà hoa vàng"].value_vnd == 450_000
    categories = by_key(sales_report(date(2025, 7, 1), date(2025, 7, 31), "category"))
    assert categories["food"].value_vnd == 450_000  # tea (sub-group of food) stays; squid refunded
    assert categories["drinks"].value_vnd == 0


def test_every_grouping_adds_up_to_the_same_grand_total(catalogue):
    f.product("Không sao", price_vnd=77_777, prod=catalogue["wine"].producer, stars=None)
    expired = f.product("Sao hết hạn", price_vnd=33_333, stars=4, prod=catalogue["tea"].producer)
    f.flat_shipping(catalogue["tea"].producer, catalogue["wine"].producer, fee_vnd=25_000)
    a = paid_order([(catalogue["tea"], 1), (catalogue["wine"], 3)], local(2025, 8, 1, 23, 59))
    f.flat_shipping(catalogue["tea"].producer, catalogue["wine"].producer, fee_vnd=0)
    paid_order([(catalogue["squid"], 2), (expired, 1)], local(2025, 8, 15, 23, 0))  # stars still live that day
    paid_order([(expired, 2)], local(2025, 8, 16, 0, 30))  # the day after expiry: no stars
    paid_order([(catalogue["tea"], 1)], local(2025, 9, 30, 23, 30), user=f.user("shopper"))
    refund_by_hand(a, 100_001, local(2025, 9, 2, 10, 0))  # an odd amount over a whole order with shipping
    f.certificate_expires(expired, date(2025, 8, 15))
    f.certificate_expires(catalogue["wine"], date(2025, 7, 31))  # lapsed before these sales: no stars
    reports = {g: sales_report(date(2025, 8, 1), date(2025, 9, 30), g) for g in GROUPINGS}
    grand = reports["month"].total
    assert grand.gross_vnd == 450_000 * 2 + 375_000 + 760_000 + 33_333 * 3
    # two parts, 2 x 25,000 shipping: 100,001 x 825,000 / 875,000 -> 94,286 dong of goods
    assert grand.refunds_vnd == 94_286
    for name, report in reports.items():
        assert report.total == grand, name
        assert sum(r.value_vnd for r in report.rows) == grand.value_vnd, name
        assert sum(r.gross_vnd for r in report.rows) == grand.gross_vnd, name
        assert sum(r.refunds_vnd for r in report.rows) == grand.refunds_vnd, name
        assert sum(r.units for r in report.rows) == grand.units, name
    stars = by_key(reports["stars"])
    assert stars["4"].gross_vnd == 760_000 + 33_333 and stars["0"].gross_vnd == 375_000 + 66_666
    assert stars["5"].gross_vnd == 900_000
    assert set(by_key(reports["region"])) == {"ha-long", "ba-che"}
    assert set(by_key(reports["producer_kind"])) == {"cooperative", "enterprise"}


def test_money_is_spread_to_the_dong():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(94_286, [450_000, 375_000]) == [51_429, 42_857]
    assert sum(allocate(1_000_003, [7, 11, 13, 17])) == 1_000_003
    assert allocate(0, [1, 2]) == [0, 0] and allocate(5, []) == []


def test_bad_parameters_are_refused_with_clear_messages(db):
    with pytest.raises(ValidationFailed) as caught:
        sales_report(date(2025, 2, 1), date(2025, 1, 1))
    assert "from" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        sales_report(group_by="weekday")
    assert "group_by" in caught.value.fields


def test_one_producers_sales_are_its_share_of_the_same_statistics(catalogue):
    """The seller portal's figures come from the same report, filtered to one producer: a
    whole-order refund is spread over every line first, so each producer bears its share."""
    f.flat_shipping(catalogue["tea"].producer, catalogue["squid"].producer, fee_vnd=10_000)
    order = paid_order([(catalogue["tea"], 1), (catalogue["squid"], 1)], local(2025, 11, 30, 23, 30))
    f.flat_shipping(catalogue["tea"].producer, catalogue["squid"].producer, fee_vnd=0)
    refund_by_hand(order, 100_001, local(2025, 12, 1, 9, 0))  # the whole order, not one part
    paid_order([(catalogue["wine"], 2)], local(2025, 12, 5, 9, 0))
    everyone = sales_report(date(2025, 11, 1), date(2025, 12, 31), "producer")
    coop, firm = catalogue["tea"].producer_id, catalogue["squid"].producer_id
    own = {pid: sales_report(date(2025, 11, 1), date(2025, 12, 31), "month", producer_id=pid) for pid in (coop, firm)}
    for pid, report in own.items():
        row = by_key(everyone)[str(pid)]
        assert (report.total.gross_vnd, report.total.refunds_vnd, report.total.units, report.total.orders) == (
            row.gross_vnd, row.refunds_vnd, row.units, row.orders)
    # 100,001 x 830,000 / 850,000 = 97,648 dong of goods, spread 450,000 : 380,000
    assert own[coop].total.refunds_vnd + own[firm].total.refunds_vnd == 97_648
    assert (own[coop].total.refunds_vnd, own[firm].total.refunds_vnd) == (52_942, 44_706)
    assert by_key(own[coop])["2025-11"].value_vnd == 450_000 and by_key(own[coop])["2025-12"].value_vnd == -52_942
    assert own[coop].total.producers == 1 and everyone.total.producers == 2


def test_grouping_by_product_names_each_product(catalogue):
    paid_order([(catalogue["tea"], 2), (catalogue["wine"], 1)], local(2025, 12, 1, 9, 0))
    paid_order([(catalogue["tea"], 1)], local(2025, 12, 2, 9, 0))
    report = sales_report(date(2025, 12, 1), date(2025, 12, 31), "product")
    assert [(r.label, r.units, r.value_vnd, r.orders) for r in report.rows] == [
        ("Trà hoa vàng", 3, 1_350_000, 2), ("Rượu ba kích", 1, 125_000, 1)]
    assert report.rows[0].key == str(catalogue["tea"].id)


def test_on_postgresql_the_groups_and_the_total_come_from_one_scan_of_the_lines(catalogue, db):
    import sqlalchemy as sa

    paid_order([(catalogue["tea"], 1), (catalogue["wine"], 2)], local(2025, 12, 3, 9, 0))
    statements = []

    def seen(conn, cursor, statement, *args):
        if "order_lines" in statement:
            statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        report = sales_report(date(2025, 12, 1), date(2025, 12, 31), "producer")
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert report.total.gross_vnd == 700_000 and sum(r.gross_vnd for r in report.rows) == 700_000
    if engine.dialect.name == "postgresql":
        assert len(statements) == 1 and "GROUPING SETS" in statements[0]
    else:
        assert len(statements) == 2  # SQLite has no GROUPING SETS: groups, then the total
