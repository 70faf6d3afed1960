"""Open data protects people: only closed months, and no cell small enough to read one
seller's or one buyer's sales off (fewer than 3 producers or 5 orders): small cells are
merged into "other regions" / "other groups", or left out."""
from __future__ import annotations

from datetime import timedelta

from marketplace.stats.open_data import last_closed_day
from marketplace.timeutil import local_today, utcnow
from tests import factories
from tests.factories import local

URL = "/api/v1/open-data/ocop-sales?year=2025"


def _producer_in(region: str, n: int):
    loc = factories.locality(f"Xã {region} {n}", region=region)
    return factories.producer(f"HTX {region} {n}", loc=loc)


def _sell(producer, times: int, when, price: int = 100_000, category=None):
    product = factories.product(prod=producer, price_vnd=price, cat=category)
    for i in range(times):
        factories.paid_order([(product, 1)], paid_at=when + timedelta(hours=i),
                             contact={"email": f"k{producer.id}-{i}@example.vn"})


def test_a_lone_sale_is_never_published_nor_derivable(client, db):
    food = factories.category()
    for n in range(3):  # Hạ Long: 3 producers, 6 orders -> a publishable cell
        _sell(_producer_in("Hạ Long", n), 2, local(2025, 1, 10), category=food)
    _sell(_producer_in("Ba Chẽ", 9), 1, local(2025, 1, 12), price=777_000, category=food)  # one seller
    body = client.get(URL).get_json()
    assert [(i["group"]["slug"], i["region"]["slug"], i["sales_vnd"], i["units"]) for i in body["items"]] == [
        ("food", "ha-long", 600_000, 6)]
    assert body["monthly_totals"] == [{"month": "2025-01", "sales_vnd": 600_000, "gross_sales_vnd": 600_000,
                                      "refunds_vnd": 0, "units": 6, "suppressed": True}]
    assert "777" not in str(body) and "ba-che" not in str(body)
    assert (body["min_producers"], body["min_orders"]) == (3, 5)


def test_small_cells_are_merged_into_other_regions(client, db):
    food = factories.category()
    for n, region in enumerate(("Ba Chẽ", "Bình Liêu", "Cô Tô", "Đầm Hà", "Hải Hà")):
        _sell(_producer_in(region, n), 1, local(2025, 2, 3 + n), category=food)
    body = client.get(URL).get_json()
    assert [(i["month"], i["group"]["slug"], i["region"], i["sales_vnd"]) for i in body["items"]] == [
        ("2025-02", "food", {"slug": "other", "name": "Các địa bàn khác"}, 500_000)]
    assert body["monthly_totals"] == [{"month": "2025-02", "sales_vnd": 500_000, "gross_sales_vnd": 500_000,
                                      "refunds_vnd": 0, "units": 5, "suppressed": False}]


def test_small_groups_are_merged_into_other_groups(client, db):
    groups = [factories.category(vi, en) for vi, en in (("Thực phẩm", "Food"), ("Đồ uống", "Drinks"),
                                                         ("Thảo dược", "Herbs"))]
    for n, group in enumerate(groups):  # each group: one producer, two orders
        _sell(_producer_in("Hạ Long", n), 2, local(2025, 3, 5), category=group)
    body = client.get(URL).get_json()
    assert [(i["group"]["slug"], i["region"]["slug"], i["sales_vnd"], i["units"]) for i in body["items"]] == [
        ("other", "other", 600_000, 6)]
    # Named in both languages of the data, whatever language the caller reads.
    english = client.get(URL, headers={"Accept-Language": "en"}).get_json()
    for answer in (body, english):
        assert answer["items"][0]["group"] == {"slug": "other", "name_vi": "Các nhóm khác", "name_en": "Other groups"}
        assert answer["items"][0]["region"] == {"slug": "other", "name": "Các địa bàn khác"}


def test_only_closed_months_are_published(client, db):
    food = factories.category()
    producers = [_producer_in("Hạ Long", n) for n in range(3)]
    for producer in producers:
        _sell(producer, 2, utcnow() - timedelta(hours=2), category=food)  # paid within the last two hours
    year = local_today().year
    body = client.get(f"/api/v1/open-data/ocop-sales?year={year}").get_json()
    this_month = local_today().strftime("%Y-%m")
    assert all(i["month"] < this_month for i in body["items"])
    assert all(m["month"] < this_month for m in body["monthly_totals"])
    assert body["complete_through"] == (last_closed_day(local_today()).strftime("%Y-%m")
                                        if local_today().month > 1 else None)
