"""The lot passport: public JSON (GET /api/v1/lots/{id}) and the phone-first page, with warnings."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

import factories
from trace_helpers import make_lot
from marketplace.catalog.models import Certificate
from marketplace.timeutil import local_today
from marketplace.traceability import links, passports
from marketplace.traceability.models import Lot


def test_passport_json_describes_the_lot(client, db, seller, honey):
    lot = make_lot(honey)
    body = client.get(f"/api/v1/lots/{lot.id}").get_json()
    assert body["code"] == "BC-2026-01"
    assert body["product"] == {"id": honey.id, "slug": honey.slug, "name": "Mật ong rừng Ba Chẽ",
                               "unit": "hộp 500 g", "gtin": None}
    assert body["producer"] == {"id": seller.producer.id, "name": "HTX Mật ong Ba Chẽ", "kind": "cooperative"}
    assert body["locality"]["name"] == "Ba Chẽ"
    assert body["ocop"]["stars"] == 4 and body["ocop"]["status"] == "live"
    assert body["origin"] == {"ward_code": "ba-che", "name": "Ba Chẽ"}
    assert body["process"] == ["Thu hoạch mật từ rừng keo", "Lọc và đóng lọ"]
    assert body["scans"] == {"count": 0, "first_at": None}
    assert body["recalled"] is False and body["recall"] is None
    assert body["warnings"] == []
    # The public passport gives the identifier, never the label's signature.
    assert body["digital_link"] == f"http://localhost/p/{honey.slug}/10/BC-2026-01"


def test_scans_show_in_the_passport_with_the_local_time(client, db, honey):
    lot = make_lot(honey)
    client.get(f"/p/{honey.slug}/10/{lot.code}?s={links.signature(lot.id)}")
    scans = client.get(f"/api/v1/lots/{lot.id}").get_json()["scans"]
    assert scans["count"] == 1 and scans["first_at"].endswith("+07:00")


def test_an_expired_certificate_is_shown_as_expired(client, db, seller):
    product = factories.product("Trà hoa vàng", prod=seller.producer, stars=4,
                                expires_on=local_today() - timedelta(days=1))
    lot = make_lot(product)
    assert client.get(f"/api/v1/lots/{lot.id}").get_json()["ocop"]["status"] == "expired"
    page = client.get(f"/lots/{lot.id}?lang=en").get_data(as_text=True)
    assert "expired" in page


def test_unverified_certificate_shows_no_stars(client, db, seller):
    product = factories.product("Nấm lim", prod=seller.producer, stars=5, verified=False)
    lot = make_lot(product)
    ocop = client.get(f"/api/v1/lots/{lot.id}").get_json()["ocop"]
    assert (ocop["stars"], ocop["status"]) == (None, "unverified")


def test_warnings_for_past_best_before_and_implausible_scans(client, db, honey):
    lot = make_lot(honey, quantity=5, produced_on=(local_today() - timedelta(days=400)).isoformat(),
                   best_before=(local_today() - timedelta(days=1)).isoformat())
    assert [w["code"] for w in client.get(f"/api/v1/lots/{lot.id}").get_json()["warnings"]] == ["past_best_before"]
    db.session.execute(sa.update(Lot).where(Lot.id == lot.id).values(scan_count=passports.PLAUSIBLE_SCANS_MIN))
    db.session.commit()
    assert "implausible_scans" not in [w["code"] for w in client.get(f"/api/v1/lots/{lot.id}").get_json()["warnings"]]
    db.session.execute(sa.update(Lot).where(Lot.id == lot.id).values(scan_count=passports.PLAUSIBLE_SCANS_MIN + 1))
    db.session.commit()
    codes = [w["code"] for w in client.get(f"/api/v1/lots/{lot.id}").get_json()["warnings"]]
    assert codes == ["past_best_before", "implausible_scans"]
    page = client.get(f"/lots/{lot.id}").get_data(as_text=True)
    assert 'data-warning="implausible_scans"' in page and "nhãn có thể đã bị sao chép" in page


def test_passport_page_in_vietnamese_and_english(client, db, honey):
    lot = make_lot(honey)
    vi = client.get(f"/lots/{lot.id}")
    assert vi.status_code == 200
    text = vi.get_data(as_text=True)
    assert "Hộ chiếu sản phẩm" in text and "Mật ong rừng Ba Chẽ" in text and "BC-2026-01" in text
    assert "Thu hoạch mật từ rừng keo" in text and "HTX Mật ong Ba Chẽ" in text
    assert 'name="viewport"' in text  # phone first
    en = client.get(f"/lots/{lot.id}?lang=en").get_data(as_text=True)
    assert "Product passport" in en and "This code has not been scanned yet." in en


def test_passport_page_runs_a_fixed_number_of_queries(client, db, honey, query_counter):
    lot = make_lot(honey)
    client.get(f"/lots/{lot.id}")
    with query_counter() as q:
        assert client.get(f"/lots/{lot.id}").status_code == 200
    assert q.count == 3, q.statements  # the lot (with product, producer...), its certificate, its files


def test_unknown_lot_is_404(client, db):
    assert client.get("/api/v1/lots/999").status_code == 404
    assert client.get("/lots/999").status_code == 404
