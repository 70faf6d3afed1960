"""Sales summary: revenue and units by local month and by product, refunds in their own month, CSV."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from tests import factories
from marketplace.payments.models import Refund
from marketplace.payments.refunds import mark_refund_paid
from marketplace.seller.orders import move_part
from marketplace.timeutil import local_today
from tests.factories import local, paid_order

LAST_YEAR = local_today().year - 1


@pytest.fixture
def history(app, db, seller, other_seller):
    """Last January: 2 teas, paid at 23:30 on the 31st (local). Last February: 1 tea + 3 honey in one cart with
    another producer's fish sauce; our part is cancelled by us and refunded this month (the order stays paid:
    the fish sauce still ships)."""
    tea = factories.product("Trà hoa vàng", prod=seller.producer, price_vnd=350_000, stock=50)
    honey = factories.product("Mật ong rừng", prod=seller.producer, price_vnd=200_000, stock=50)
    sauce = factories.product("Nước mắm", prod=other_seller.producer, price_vnd=120_000, stock=50)
    paid_order([(tea, 2)], local(LAST_YEAR, 1, 31, 23, 30))
    february = paid_order([(tea, 1), (honey, 3), (sauce, 5)], local(LAST_YEAR, 2, 1, 0, 10))
    part = next(p for p in february.parts if p.producer_id == seller.producer.id)
    move_part(part, seller.user, "cancelled", note="Hết hàng")
    refund = db.session.scalar(sa.select(Refund))
    mark_refund_paid(refund.id, factories.user("admin"))  # the bank transfer back is done today
    return tea, honey


def test_revenue_and_units_by_month_and_by_product(db, seller, history):
    from marketplace.seller.sales import producer_sales

    summary = producer_sales(seller.producer.id, date(LAST_YEAR, 1, 1), local_today())
    months = {row.key: (row.units, row.gross_vnd, row.refunds_vnd, row.value_vnd) for row in summary.by_month}
    assert months == {
        f"{LAST_YEAR}-01": (2, 700_000, 0, 700_000),  # 23:30 on 31 January in Hanoi is still January
        f"{LAST_YEAR}-02": (4, 950_000, 0, 950_000),  # the other producer's sale is not ours
        local_today().strftime("%Y-%m"): (0, 0, 950_000, -950_000),  # the refund, in the month it was paid back
    }
    products = {row.label: (row.units, row.gross_vnd, row.refunds_vnd, row.value_vnd)
                for row in summary.by_product}
    assert products == {"Trà hoa vàng": (3, 1_050_000, 350_000, 700_000), "Mật ong rừng": (3, 600_000, 600_000, 0)}
    total = summary.total
    assert (total.units, total.gross_vnd, total.refunds_vnd, total.value_vnd) == (6, 1_650_000, 950_000, 700_000)
    # Every month of the range is on the chart, quiet ones at zero.
    assert len(summary.months) == 12 + local_today().month
    assert dict((k, v) for k, v, _u in summary.months)[f"{LAST_YEAR}-03"] == 0


def test_the_sales_page_and_csv(seller_client, db, history):
    page = seller_client.get(f"/seller/sales?from={LAST_YEAR}-01-01&to={local_today().isoformat()}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in body and "Trà hoa vàng" in body and "Nước mắm" not in body
    assert "700.000\u00a0₫" in body and "950.000\u00a0₫" in body
    # Months written in full, in the chart and the table, in the page's language.
    assert f"<td>tháng 1 năm {LAST_YEAR}</td>" in body and ">Tháng 1</tspan>" in body
    assert f"-01</text>" not in body and f"{str(LAST_YEAR)[2:]}-01<" not in body
    english = seller_client.get(f"/seller/sales?from={LAST_YEAR}-01-01&lang=en").get_data(as_text=True)
    assert f"<td>January {LAST_YEAR}</td>" in english and ">January</tspan>" in english

    response = seller_client.get(f"/seller/sales.csv?from={LAST_YEAR}-01-01&to={local_today().isoformat()}")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    by_key = {(r["month"], r["product"]): (int(r["units"]), int(r["net_vnd"])) for r in rows}
    assert list(rows[0]) == ["month", "product", "units", "gross_vnd", "refunds_vnd", "net_vnd"]
    assert by_key[(f"{LAST_YEAR}-01", "Trà hoa vàng")] == (2, 700_000)
    assert by_key[(f"{LAST_YEAR}-02", "Mật ong rừng")] == (3, 600_000)
    assert by_key[(local_today().strftime("%Y-%m"), "Mật ong rừng")] == (0, -600_000)
    assert by_key[("total", "")] == (6, 700_000)


def test_bad_dates_are_refused_politely(seller_client, db):
    page = seller_client.get("/seller/sales?from=31-01-2025")
    assert page.status_code == 200 and "2025-01-31" in page.get_data(as_text=True)
    backwards = seller_client.get("/seller/sales?from=2025-05-01&to=2025-01-01")
    assert backwards.status_code == 200 and "phải trước" in backwards.get_data(as_text=True)


def test_the_sellers_figures_are_the_provinces_statistics_for_that_producer(db, seller, other_seller, history):
    """One rule for both portals: the seller's totals equal the producer's row of the admin statistics."""
    from marketplace.seller.sales import producer_sales
    from marketplace.stats.sales import sales_report

    everyone = sales_report(date(LAST_YEAR, 1, 1), local_today(), "producer")
    rows = {row.key: row for row in everyone.rows}
    for producer in (seller.producer, other_seller.producer):
        own = producer_sales(producer.id, date(LAST_YEAR, 1, 1), local_today()).total
        row = rows[str(producer.id)]
        assert (own.gross_vnd, own.refunds_vnd, own.units, own.orders) == (
            row.gross_vnd, row.refunds_vnd, row.units, row.orders)
    assert rows[str(other_seller.producer.id)].value_vnd == 600_000  # the fish sauce still counts
