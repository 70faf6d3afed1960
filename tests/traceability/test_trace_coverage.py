"""The coverage indicator: share of active products with a current lot passport, by locality and
product group, on the admin's statistics page (with its chart) and as open data."""
from __future__ import annotations

from datetime import timedelta

import factories
from trace_helpers import make_lot
from marketplace.timeutil import local_today
from marketplace.traceability.recalls import recall


def _world():
    """Ba Chẽ: 3 active products, 2 covered (one only by a recalled lot, one past best-before: not);
    Vân Đồn: 1 active covered, 1 draft (never counted)."""
    food, drink = factories.category("Thực phẩm", "Food"), factories.category("Đồ uống", "Drinks")
    ba_che = factories.producer("HTX Ba Chẽ", loc=factories.locality("Thanh Sơn", region="Ba Chẽ"))
    van_don = factories.producer("HTX Vân Đồn", loc=factories.locality("Đông Xá", region="Vân Đồn"))
    covered = factories.product("Mật ong", prod=ba_che, cat=food)
    make_lot(covered)
    recalled = factories.product("Trà hoa vàng", prod=ba_che, cat=drink)
    recall(make_lot(recalled), factories.user("admin"), "Kiểm tra")
    old = factories.product("Rượu ba kích", prod=ba_che, cat=drink)
    make_lot(old, produced_on=(local_today() - timedelta(days=400)).isoformat(),
             best_before=(local_today() - timedelta(days=1)).isoformat())
    make_lot(factories.product("Chả mực", prod=van_don, cat=food))
    make_lot(factories.product("Hàu sữa", prod=van_don, cat=food, status="draft"))


def test_open_data_gives_the_share_by_locality_and_group(client, db):
    _world()
    response = client.get("/api/v1/open-data/traceability-coverage")
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert body["total"] == {"products": 4, "with_passport": 2, "share_percent": 50.0}
    localities = {r["slug"]: (r["products"], r["with_passport"], r["share_percent"]) for r in body["by_locality"]}
    assert localities == {"ba-che": (3, 1, 33.3), "van-don": (1, 1, 100.0)}
    groups = {r["slug"]: (r["products"], r["with_passport"], r["share_percent"]) for r in body["by_group"]}
    assert groups == {"food": (2, 2, 100.0), "drinks": (2, 0, 0.0)}
    again = client.get("/api/v1/open-data/traceability-coverage", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_admin_statistics_page_shows_the_indicator_and_its_chart(client, db):
    _world()
    factories.login_as(client, factories.user("admin"))
    page = client.get("/admin/stats/traceability?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "50.0%" in html and "<svg" in html and 'data-slug="ba-che"' in html and "33.3%" in html
    assert "Drinks" in html


def test_the_statistics_page_is_for_admins_only(client, db, seller):
    factories.login_as(client, seller.user)
    assert client.get("/admin/stats/traceability").status_code == 403
