"""The admin overview shows this month at a glance: sales, orders, the share paid, and the
e-commerce indicator of the latest month with a recorded retail total."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import g

from marketplace.stats import share
from marketplace.stats.glance import month_at_a_glance
from marketplace.timeutil import add_months, local_today, utcnow
from tests import factories as f


def _this_month():
    tea = f.product(price_vnd=350_000)
    honey = f.product(price_vnd=250_000)
    f.paid_order([(tea, 2)])                        # paid now: 700,000
    f.paid_order([(honey, 1)])                      # paid now: 250,000
    f.place_order([(honey, 3)])                     # not paid
    f.paid_order([(tea, 1)], utcnow() - timedelta(days=400))  # placed and paid long ago


def test_the_month_in_figures(db):
    _this_month()
    last_month = add_months(local_today().replace(day=1), -1).strftime("%Y-%m")
    share.set_retail_total(f.user("admin"), last_month, 100_000_000)
    glance = month_at_a_glance()
    assert glance.month == local_today().strftime("%Y-%m")
    assert glance.sales.marketplace_vnd == 950_000
    assert (glance.orders, glance.paid_orders, glance.paid_percent) == (3, 2, Decimal("66.7"))
    # This month has no retail total yet: the indicator is last month's.
    assert glance.indicator.period.key == last_month and glance.indicator.share_percent == Decimal("0.00")


def test_no_orders_and_no_retail_total_say_so(db):
    glance = month_at_a_glance()
    assert (glance.orders, glance.paid_percent, glance.indicator) == (0, None, None)


def test_the_admin_overview_shows_it_for_a_fixed_number_of_queries(client, db, query_counter):
    admin = f.user("admin")
    f.login_as(client, admin)
    _this_month()
    share.set_retail_total(admin, local_today().strftime("%Y-%m"), 9_500_000)

    def cost():
        g.pop("_login_user", None)
        db.session.expunge_all()
        with query_counter() as q:
            page = client.get("/admin/")
        assert page.status_code == 200
        return q.count, page.get_data(as_text=True)

    count, body = cost()
    assert 'id="glance-orders">3<' in body
    assert 'id="glance-paid">66,7%<' in body
    assert "950.000\u00a0₫" in body
    assert 'id="glance-share">10%<' in body  # 950,000 of 9,500,000, this month's own total
    assert f"tháng {local_today().month} năm {local_today().year}" in body
    for _ in range(5):
        _this_month()
    more, body = cost()
    assert 'id="glance-orders">18<' in body
    # the user; the admin counters (a count and a page each) and two star tables, as before; the
    # orders' count; this month's sales (PostgreSQL: one scan with its total, SQLite: a second
    # scan for the total) and refunds; its retail total and other channels; its issued e-invoices;
    # the cart count
    assert more == count == (14 if db.engine.dialect.name == "postgresql" else 15)
