"""The e-invoice and cashless indicators beside the e-commerce share: arithmetic, local month
edges, localities, the admin's cashless figure of another channel."""
from __future__ import annotations

import pytest

import factories
from invoice_helpers import local, paid_part, record_invoice


@pytest.fixture
def sales(client, db):
    """Ba Chẽ: 100,000 paid 31 March 23:59 local (invoiced) and 300,000 paid 1 April 00:00 local (not);
    Hạ Long: 200,000 paid 30 April 23:59 local (invoiced), 50,000 paid 1 May 00:00 local (invoiced)."""
    ba_che = factories.producer("HTX Ba Chẽ", loc=factories.locality("Ba Chẽ", "Ba Chẽ"),
                                shipping_fee_vnd=0)
    ha_long = factories.producer("Công ty Hạ Long", kind="enterprise",
                                 loc=factories.locality("Hồng Gai", "Hạ Long", kind="ward"), shipping_fee_vnd=0)
    first = factories.product(prod=ba_che, price_vnd=100_000, stock=50)
    second = factories.product(prod=ha_long, price_vnd=50_000, stock=50)
    made = [paid_part(client, product, quantity, when) for product, quantity, when in (
        (first, 1, local(2026, 3, 31, 23, 59)), (first, 3, local(2026, 4, 1, 0, 0)),
        (second, 4, local(2026, 4, 30, 23, 59)), (second, 1, local(2026, 5, 1, 0, 0)))]
    for part, number in ((made[0], "1"), (made[2], "2"), (made[3], "3")):
        record_invoice(part, number, local(2026, 4, 2))
    assert [p.total_vnd for p in made] == [100_000, 300_000, 200_000, 50_000]
    return made


def _share(client, period: str) -> dict:
    factories.login_as(client, factories.user("admin"))
    answer = client.get(f"/api/v1/admin/stats/ecommerce-share?period={period}&trend=false")
    assert answer.status_code == 200, answer.json
    return answer.json


def test_april_takes_the_local_month(client, sales):
    april = _share(client, "2026-04")["e_invoice"]
    # 1 April 00:00 local (not invoiced) and 30 April 23:59 local (invoiced) are April's; the edges beside are not.
    assert (april["paid_vnd"], april["invoiced_vnd"], april["percent"], april["target_percent"]) == (
        500_000, 200_000, 40.0, 100.0)
    assert [(r["region"], r["paid_vnd"], r["invoiced_vnd"], r["percent"]) for r in april["by_locality"]] == [
        ("Ba Chẽ", 300_000, 0, 0.0), ("Hạ Long", 200_000, 200_000, 100.0)]
    march = _share(client, "2026-03")["e_invoice"]
    assert (march["paid_vnd"], march["invoiced_vnd"], march["percent"]) == (100_000, 100_000, 100.0)
    may = _share(client, "2026-05")["e_invoice"]
    assert (may["paid_vnd"], may["invoiced_vnd"]) == (50_000, 50_000)
    quarter = _share(client, "2026-Q2")["e_invoice"]
    assert (quarter["paid_vnd"], quarter["invoiced_vnd"], quarter["percent"]) == (550_000, 250_000, 45.45)
    year = _share(client, "2026")["e_invoice"]
    assert (year["paid_vnd"], year["invoiced_vnd"], year["percent"]) == (650_000, 350_000, 53.85)
    # API.md names the two shares at the top of the answer too.
    whole = _share(client, "2026-04")
    assert (whole["invoiced_share_percent"], whole["cashless_share_percent"]) == (40.0, 100.0)
    empty = _share(client, "2026-06")["e_invoice"]
    assert (empty["paid_vnd"], empty["percent"], empty["by_locality"]) == (0, None, [])


def test_cashless_counts_the_marketplace_whole_and_other_channels_as_reported(client, sales):
    factories.login_as(client, factories.user("admin"))
    answer = client.put("/api/v1/admin/ecommerce-channels/2026-04", json={"other_channels": [
        {"channel": "Sàn Postmart", "amount_vnd": 300_000, "cashless_vnd": 100_000},
        {"channel": "Cửa hàng OCOP trực tuyến", "amount_vnd": 200_000}]})
    assert answer.status_code == 200, answer.json
    cashless = answer.json["cashless"]
    # Marketplace 500,000 all cashless + 100,000 of Postmart; the shop's 200,000 has no figure: counted as cash.
    assert cashless == {"payments_vnd": 1_000_000, "cashless_vnd": 600_000, "marketplace_cashless_vnd": 500_000,
                        "other_channels_cashless_vnd": 100_000, "other_channels_unknown_vnd": 200_000,
                        "percent": 60.0, "target_percent": 80.0}
    too_much = client.put("/api/v1/admin/ecommerce-channels/2026-04", json={"other_channels": [
        {"channel": "Sàn Postmart", "amount_vnd": 300_000, "cashless_vnd": 300_001}]})
    assert too_much.status_code == 422
    # A quarter sums its months; a channel unknown in one month stays unknown.
    client.put("/api/v1/admin/ecommerce-channels/2026-05", json={"other_channels": [
        {"channel": "Sàn Postmart", "amount_vnd": 100_000, "cashless_vnd": 100_000}]})
    quarter = _share(client, "2026-Q2")["cashless"]
    assert (quarter["payments_vnd"], quarter["cashless_vnd"], quarter["other_channels_unknown_vnd"]) == (
        550_000 + 400_000 + 200_000, 550_000 + 200_000, 200_000)


def test_the_share_page_shows_both_indicators_and_takes_the_cashless_figure(client, sales):
    factories.login_as(client, factories.user("admin"))
    saved = client.post("/admin/stats/share/channels", data={
        "period": "2026-04", "channel": ["Sàn Postmart"], "amount_vnd": ["300000"], "cashless_vnd": ["150000"]})
    assert saved.status_code == 302
    page = client.get("/admin/stats/share?period=2026-04").get_data(as_text=True)
    assert 'id="e-invoice-share">40.0%' in page
    assert 'id="cashless-share">81.25%' in page  # (500,000 + 150,000) / 800,000
    assert "Hạ Long" in page and 'value="150000"' in page
