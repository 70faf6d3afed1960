"""The e-commerce share indicator: exact shares, honest gaps, the year's target."""
from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.audit import AuditEntry
from marketplace.errors import ValidationFailed
from marketplace.stats import share
from marketplace.stats.models import ChannelSale, RetailTotal
from tests import factories as f
from tests.factories import local, paid_order


@pytest.fixture
def sold(db):
    """1,234,567 dong sold in January 2025 (one sale on 31 Jan at 23:30 local), 600,000 in February."""
    item = f.product(price_vnd=1_234_567)
    paid_order([(item, 1)], local(2025, 1, 31, 23, 30))
    other = f.product(price_vnd=300_000)
    paid_order([(other, 2)], local(2025, 2, 14, 9, 0))
    return item


def test_the_share_for_a_period_with_known_totals_is_exact(sold, db):
    admin = f.user("admin")
    share.set_retail_total(admin, "2025-01", 50_000_000, "Cục Thống kê Quảng Ninh",
                           other_channels=[{"channel": "Sàn Postmart", "amount_vnd": 3_765_433}])
    figures = share.ecommerce_share("2025-01")
    assert figures.marketplace_vnd == 1_234_567 and figures.other_channels_vnd == 3_765_433
    assert figures.ecommerce_vnd == 5_000_000
    assert figures.share_percent == Decimal("10.00")  # 5,000,000 / 50,000,000
    assert figures.target_percent == Decimal("10") and figures.progress_percent == Decimal("100.00")
    body = figures.as_dict()
    assert body["share_percent"] == 10.0 and body["total_retail_vnd"] == 50_000_000 and body["message"] is None


def test_shares_round_half_up_to_hundredths(sold, db):
    share.set_retail_total(f.user("admin"), "2025-01", 30_000_000)
    # 1,234,567 / 30,000,000 = 4.11522...%
    figures = share.ecommerce_share("2025-01")
    assert figures.share_percent == Decimal("4.12") and figures.progress_percent == Decimal("41.15")


def test_a_period_without_a_retail_total_says_so_instead_of_dividing_by_zero(sold, db):
    figures = share.ecommerce_share("2025-02")
    assert figures.marketplace_vnd == 600_000
    assert figures.total_retail_vnd is None and figures.share_percent is None and figures.progress_percent is None
    assert "Chưa có tổng mức bán lẻ" in figures.as_dict()["message"]
    with pytest.raises(ValidationFailed):
        share.set_retail_total(f.user("admin"), "2025-02", 0)


def test_a_quarter_uses_its_months_when_every_one_is_recorded(sold, db):
    admin = f.user("admin")
    share.set_retail_total(admin, "2025-01", 40_000_000)
    share.set_retail_total(admin, "2025-02", 30_000_000)
    assert share.ecommerce_share("2025-Q1").total_retail_vnd is None  # March missing
    share.set_retail_total(admin, "2025-03", 30_000_000)
    quarter = share.ecommerce_share("2025-Q1")
    assert (quarter.total_retail_vnd, quarter.retail_basis) == (100_000_000, "months")
    assert quarter.marketplace_vnd == 1_834_567 and quarter.share_percent == Decimal("1.83")
    share.set_retail_total(admin, "2025-Q1", 120_000_000)  # the office's own quarterly figure wins
    assert share.ecommerce_share("2025-Q1").retail_basis == "recorded"


def test_each_year_takes_the_target_of_the_national_plan_covering_it(app, sold, db):
    assert not app.config["ECOMMERCE_TARGET_PERCENT"]  # no override: the dated table decides
    plan_2025 = share.target_for(2025)
    assert (plan_2025.percent, plan_2025.by_year) == (10, 2025) and "645/QĐ-TTg" in plan_2025.decision
    for year in (2026, 2028, 2030):
        plan = share.target_for(year)
        assert (plan.percent, plan.by_year) == (20, 2030) and "1568/QĐ-BCT" in plan.decision
    assert share.target_for(2019).by_year == 2025 and share.target_for(2035).by_year == 2030
    assert all(plan.source for _, _, plan in share.target_plans())

    admin = f.user("admin")
    share.set_retail_total(admin, "2026-03", 10_000_000)
    march = share.ecommerce_share("2026-03")
    assert march.target_percent == 20 and march.as_dict()["target"]["by_year"] == 2030
    assert share.ecommerce_share("2025-01").target_percent == 10


def test_the_target_page_and_api_show_the_target_of_the_period_asked_for(client, sold, db):
    f.login_as(client, f.user("admin"))
    page = client.get("/admin/stats/share?period=2027").get_data(as_text=True)
    target = page.split('id="target">')[1].split("</dd>")[0]
    assert "20%" in target and "2030" in target and "1568/QĐ-BCT" in target
    body = client.get("/api/v1/admin/stats/ecommerce-share?period=2025-06&trend=false").json
    assert body["target_percent"] == 10.0 and body["target"]["decision"].startswith("Quyết định 645/QĐ-TTg")


def test_a_setting_overrides_the_table(app, sold, db):
    app.config["ECOMMERCE_TARGET_PERCENT"] = "2025:10,2030:25"
    try:
        assert share.target_percent(2024) == 10 and share.target_percent(2029) == 10
        assert share.target_percent(2030) == 25 and share.target_percent(2031) == 25
        assert share.target_for(2030).decision == "ECOMMERCE_TARGET_PERCENT"
        share.set_retail_total(f.user("admin"), "2030", 10_000_000)
        assert share.ecommerce_share("2030").target_percent == 25
        app.config["ECOMMERCE_TARGET_PERCENT"] = "12.5"
        assert share.target_percent(2027) == Decimal("12.5")
        app.config["ECOMMERCE_TARGET_PERCENT"] = "ten"  # not valid: the table, with a warning in the log
        assert share.target_percent(2027) == 20
    finally:
        app.config["ECOMMERCE_TARGET_PERCENT"] = ""


def test_a_month_refunding_more_than_it_sells_shows_gross_refunds_and_net_apart(client, db):
    item = f.product(price_vnd=1_000_000)
    january = paid_order([(item, 2)], local(2025, 1, 10, 9, 0))  # 2,000,000: shipped free
    paid_order([(item, 1)], local(2025, 2, 3, 9, 0))
    f.refund_part(january.parts[0], local(2025, 2, 20, 9, 0))  # January's order paid back in February
    admin = f.user("admin")
    share.set_retail_total(admin, "2025-02", 100_000_000)

    february = share.ecommerce_share("2025-02")
    assert (february.gross_vnd, february.marketplace_refunds_vnd, february.marketplace_vnd) == (
        1_000_000, 2_000_000, -1_000_000)
    assert february.net_negative and february.share_percent == Decimal("-1.00")
    assert february.progress_percent == Decimal("0.00")  # no progress, never negative progress
    body = february.as_dict()
    assert body["marketplace_gross_vnd"] == 1_000_000 and body["marketplace_refunds_vnd"] == 2_000_000
    assert body["net_negative"] is True and "Hoàn tiền trong kỳ lớn hơn doanh số của kỳ" in body["note"]
    january_figures = share.ecommerce_share("2025-01").as_dict()
    assert january_figures["note"] is None and january_figures["net_negative"] is False

    f.login_as(client, admin)
    page = client.get("/admin/stats/share?period=2025-02&lang=en").get_data(as_text=True)
    assert "₫1,000,000" in page.split('id="gross">')[1].split("</dd>")[0]
    assert "₫2,000,000" in page.split('id="refunds">')[1].split("</dd>")[0]
    assert "-₫1,000,000" in page.split('id="net">')[1].split("</dd>")[0]
    shown = page.split('id="share">')[1].split("</dd>")[0]
    assert "-1%*" in shown and 'id="share-note"' in shown
    api = client.get("/api/v1/admin/stats/ecommerce-share?period=2025-02&trend=false").json
    assert api["marketplace_vnd"] == -1_000_000 and api["note"]


def test_recording_is_audited_and_replaces_channels(sold, db):
    admin = f.user("admin")
    share.set_retail_total(admin, "2025", 900_000_000, other_channels=[{"channel": "Voso", "amount_vnd": 1}])
    share.set_retail_total(admin, "2025", 1_000_000_000, other_channels=[{"channel": "Postmart", "amount_vnd": 2}])
    assert db.session.query(RetailTotal).one().total_retail_vnd == 1_000_000_000
    assert [(c.channel, c.amount_vnd) for c in db.session.query(ChannelSale)] == [("Postmart", 2)]
    actions = [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions == ["retail_total.set", "channel_sales.set"] * 2
    with pytest.raises(ValidationFailed):
        share.set_channel_sales(admin, "2025", [{"channel": "A", "amount_vnd": 1}, {"channel": "a", "amount_vnd": 2}])
    with pytest.raises(ValidationFailed):
        share.set_retail_total(admin, "2025-13", 1)


def test_the_trend_lists_the_preceding_periods_oldest_first(sold, db):
    share.set_retail_total(f.user("admin"), "2025-01", 12_345_670)
    trend = share.share_trend("2025-02")
    assert [t.period.key for t in trend] == [f"2024-{m:02d}" for m in range(3, 13)] + ["2025-01", "2025-02"]
    assert trend[-2].share_percent == Decimal("10.00") and trend[-1].share_percent is None


def test_the_indicator_over_the_api(client, sold, db):
    f.login_as(client, f.user("admin"))
    response = client.put("/api/v1/admin/retail-totals/2025-01", json={
        "total_retail_vnd": 50_000_000, "source": "Cục Thống kê",
        "other_channels": [{"channel": "Sàn Postmart", "amount_vnd": 3_765_433}]})
    assert response.status_code == 200, response.json
    assert response.json["share_percent"] == 10.0 and response.json["ecommerce_vnd"] == 5_000_000
    body = client.get("/api/v1/admin/stats/ecommerce-share?period=2025-01").json
    assert body["marketplace_vnd"] == 1_234_567 and body["target_percent"] == 10.0
    assert body["progress_percent"] == 100.0 and len(body["trend"]) == 11
    assert body["from"] == "2025-01-01" and body["to"] == "2025-01-31"
    missing = client.get("/api/v1/admin/stats/ecommerce-share?period=2025-02&trend=false").json
    assert missing["share_percent"] is None and missing["message"] and missing["trend"] == []
    assert client.get("/api/v1/admin/stats/ecommerce-share?period=2025-W1").status_code == 422
    assert client.put("/api/v1/admin/retail-totals/2025-01", json={"total_retail_vnd": 1.5}).status_code == 422
    assert client.put("/api/v1/admin/retail-totals/2025-01", json={"total_retail_vnd": -1}).status_code == 422
    assert client.put("/api/v1/admin/retail-totals/20x5", json={"total_retail_vnd": 5}).status_code == 422
    channels = client.put("/api/v1/admin/ecommerce-channels/2025-02",
                          json={"other_channels": [{"channel": "Voso", "amount_vnd": 400_000}]})
    assert channels.status_code == 200 and channels.json["ecommerce_vnd"] == 1_000_000


def test_the_indicator_page_and_its_forms(client, sold, db):
    f.login_as(client, f.user("admin"))
    page = client.get("/admin/stats/share?period=2025-01&lang=en").get_data(as_text=True)
    assert 'id="no-retail"' in page and "<svg" in page
    refused = client.post("/admin/stats/share/retail", data={"period": "2025-01", "total_retail_vnd": "năm tỷ"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Enter the total retail sales in dong." in refused  # the page was asked for in English and db.session.query(RetailTotal).count() == 0
    client.post("/admin/stats/share/retail", data={"period": "2025-01", "total_retail_vnd": "50.000.000",
                                                   "source": "Cục Thống kê"})
    client.post("/admin/stats/share/channels", data={"period": "2025-01", "channel": ["Sàn Postmart", ""],
                                                     "amount_vnd": ["3.765.433", ""]})
    page = client.get("/admin/stats/share?period=2025-01").get_data(as_text=True)
    assert 'id="no-retail"' not in page and "10%" in page and "Sàn Postmart" in page
    assert "<script>" not in page
