"""The open data carry the e-invoice and cashless indicators per local month and locality,
with the sales cells' privacy rule: a month or locality of fewer than 3 producers or 5 orders
is merged or withheld."""
from __future__ import annotations

import pytest

import factories
from invoice_helpers import local, paid_part, record_invoice


@pytest.fixture
def april(client, db):
    """Hạ Long: three producers, five April orders (800,000; 350,000 invoiced), paid from
    1 April 00:00 to 30 April 23:59 local. Ba Chẽ: one producer, one invoiced order of 100,000.
    Around them, one order on 31 March 23:59 and one on 1 May 00:00 local."""
    ha_long = factories.locality("Hồng Gai", "Hạ Long", kind="ward")
    makers = [factories.producer(f"Công ty Hạ Long {n}", kind="enterprise", loc=ha_long, shipping_fee_vnd=0)
              for n in range(3)]
    ba_che = factories.producer("HTX Ba Chẽ", loc=factories.locality("Ba Chẽ", "Ba Chẽ"), shipping_fee_vnd=0)
    goods = [factories.product(prod=p, price_vnd=10_000, stock=500) for p in (*makers, ba_che)]
    number = iter(range(1, 100))

    def sale(product, tens, when, invoiced):
        part = paid_part(client, product, tens, when)
        if invoiced:
            record_invoice(part, str(next(number)), local(2026, 5, 2))
        return part

    sale(goods[0], 7, local(2026, 3, 31, 23, 59), True)
    sale(goods[0], 10, local(2026, 4, 1, 0, 0), True)
    sale(goods[1], 20, local(2026, 4, 10, 12), True)
    sale(goods[2], 30, local(2026, 4, 15, 12), False)
    sale(goods[0], 5, local(2026, 4, 30, 23, 59), True)
    sale(goods[1], 15, local(2026, 4, 20, 8), False)
    sale(goods[3], 10, local(2026, 4, 5, 8), True)
    sale(goods[1], 9, local(2026, 5, 1, 0, 0), True)
    factories.login_as(client, factories.user("admin"))
    saved = client.put("/api/v1/admin/ecommerce-channels/2026-04", json={"other_channels": [
        {"channel": "Sàn Postmart", "amount_vnd": 100_000, "cashless_vnd": 20_000}]})
    assert saved.status_code == 200, saved.json
    client.post("/auth/logout")


def _indicators(client) -> dict:
    answer = client.get("/api/v1/open-data/ocop-sales?year=2026")
    assert answer.status_code == 200
    return answer.json["payment_indicators"]


def test_april_is_its_local_month_with_both_shares(client, april):
    found = _indicators(client)
    assert (found["e_invoice_target_percent"], found["cashless_target_percent"]) == (100.0, 80.0)
    months = {m["month"]: m for m in found["months"]}
    # March and May hold one producer's single order each: withheld.
    assert months["2026-03"] == {"month": "2026-03", "suppressed": True}
    assert months["2026-05"] == {"month": "2026-05", "suppressed": True}
    april_ = months["2026-04"]
    assert (april_["paid_vnd"], april_["invoiced_vnd"], april_["e_invoice_percent"]) == (900_000, 450_000, 50.0)
    # Marketplace 900,000 all cashless + Postmart's 20,000 of 100,000.
    assert (april_["payments_vnd"], april_["cashless_vnd"], april_["cashless_percent"]) == (1_000_000, 920_000, 92.0)
    assert april_["other_channels_unknown_vnd"] == 0


def test_a_small_locality_is_left_out_not_published(client, april):
    april_ = {m["month"]: m for m in _indicators(client)["months"]}["2026-04"]
    assert [(r["region"]["name"], r["paid_vnd"], r["invoiced_vnd"], r["percent"], r["cashless_percent"])
            for r in april_["by_locality"]] == [("Hạ Long", 800_000, 350_000, 43.75, 100.0)]
    assert april_["localities_left_out"] == 1
    assert "Ba Chẽ" not in client.get("/api/v1/open-data/ocop-sales?year=2026").get_data(as_text=True)


def test_the_year_sums_the_published_months(client, april):
    year = _indicators(client)["year"]
    assert year == {"paid_vnd": 900_000, "invoiced_vnd": 450_000, "e_invoice_percent": 50.0,
                    "payments_vnd": 1_000_000, "cashless_vnd": 920_000, "cashless_percent": 92.0}


def test_the_admin_statistics_show_each_localitys_cashless_share(client, april):
    factories.login_as(client, factories.user("admin"))
    share = client.get("/api/v1/admin/stats/ecommerce-share?period=2026-04&trend=false").json
    assert [(r["region"], r["paid_vnd"], r["cashless_vnd"], r["cashless_percent"])
            for r in share["e_invoice"]["by_locality"]] == [("Ba Chẽ", 100_000, 100_000, 100.0),
                                                            ("Hạ Long", 800_000, 800_000, 100.0)]
    page = client.get("/admin/stats/share?period=2026-04").get_data(as_text=True)
    assert page.count('data-cashless>100.0%') == 2


def test_a_year_without_closed_months_has_no_indicators(client, db):
    found = client.get("/api/v1/open-data/ocop-sales?year=2099")
    assert found.status_code == 200 and found.json["payment_indicators"]["months"] == []
    assert found.json["payment_indicators"]["year"]["e_invoice_percent"] is None
