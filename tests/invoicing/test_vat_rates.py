"""The VAT rate table: seeded from data with sources, edited by admins only, dated lookups."""
from __future__ import annotations

import csv
from datetime import date

import sqlalchemy as sa

import factories
from marketplace.extensions import db as _db
from marketplace.invoicing import rates
from marketplace.invoicing.models import VatRate


def test_the_data_file_cites_a_source_for_every_rate():
    with rates.CSV_PATH.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["source"].strip() and r["rate"] in ("0", "5", "8", "10", "KCT") for r in rows)
    groups = {r["category_slug"] for r in rows}
    assert {"thuc-pham", "do-uong", "thao-duoc", "thu-cong-my-nghe", "sinh-vat-canh", "du-lich",
            rates.SHIPPING} <= groups


def test_seeding_twice_adds_nothing_and_keeps_an_admins_edit(db):
    added = rates.seed_rates()
    assert added == _db.session.scalar(sa.select(sa.func.count()).select_from(VatRate)) > 0
    row = _db.session.scalar(sa.select(VatRate).where(VatRate.category_slug == "du-lich"))
    row.rate = "10"
    _db.session.commit()
    assert rates.seed_rates() == 0
    _db.session.expire_all()
    assert _db.session.get(VatRate, row.id).rate == "10"


def test_the_most_specific_group_and_latest_start_apply(db):
    rates.seed_rates()
    table = rates.rate_table()
    assert rates.rate_on(table, ["nong-san", "thuc-pham"], date(2026, 3, 1)) == "KCT"
    assert rates.rate_on(table, ["thuy-hai-san", "thuc-pham"], date(2026, 12, 31)) == "8"
    assert rates.rate_on(table, ["thuy-hai-san", "thuc-pham"], date(2027, 1, 1)) == "10"
    assert rates.rate_on(table, ["thuc-pham"], date(2025, 6, 30)) is None  # before the table starts


def test_admins_edit_rates_on_the_page_and_through_the_api(client, db):
    rates.seed_rates()
    factories.category("Thực phẩm", "Food")
    factories.login_as(client, factories.user("admin"))
    page = client.get("/admin/vat-rates")
    assert page.status_code == 200 and "Nghị quyết 204/2025/QH15" in page.get_data(as_text=True)
    refused = client.post("/admin/vat-rates", data={"category_slug": "du-lich", "valid_from": "x", "rate": "7",
                                                    "source": ""})
    assert refused.status_code == 422
    saved = client.post("/admin/vat-rates", data={"category_slug": "du-lich", "valid_from": "2026-07-01",
                                                  "rate": "10", "source": "Thử nghiệm / test"})
    assert saved.status_code == 302
    assert rates.rate_on(rates.rate_table(), ["du-lich"], date(2026, 7, 1)) == "10"
    answer = client.put("/api/v1/admin/vat-rates", json={"category_slug": "du-lich", "valid_from": "2026-07-01",
                                                         "rate": "KCT", "source": "Sửa / corrected"})
    assert answer.status_code == 200 and answer.json["rate"] == "KCT"
    assert client.put("/api/v1/admin/vat-rates", json={"category_slug": "du-lich", "valid_from": "2026-07-01",
                                                       "rate": "12", "source": "x"}).status_code == 422
    assert any(r["rate"] == "KCT" for r in client.get("/api/v1/admin/vat-rates").json)


def test_sellers_and_shoppers_cannot_edit_rates(client, db):
    for role in ("seller", "shopper"):
        user = factories.user(role, producer_id=factories.producer().id if role == "seller" else None)
        factories.login_as(client, user)
        assert client.get("/admin/vat-rates").status_code == 403
        assert client.put("/api/v1/admin/vat-rates", json={}).status_code == 403
