"""GS1 Digital Link: /01/{GTIN-14}/10/{lot} or /p/{slug}/10/{lot}, signed labels, counted scans."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from trace_helpers import make_lot
from marketplace.traceability import links, lots
from marketplace.traceability.models import Lot

SCANNERS = 16


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def _lot(db, lot_id):
    db.session.expire_all()
    return db.session.get(Lot, lot_id)


def test_link_without_gtin_uses_the_product_slug(db, honey):
    lot = make_lot(honey)
    link = links.digital_link(lot, signed=True)
    assert link == f"http://localhost/p/{honey.slug}/10/BC-2026-01?s={links.signature(lot.id)}"
    assert len(links.signature(lot.id)) == 11


def test_link_with_gtin_uses_the_gtin14(db, seller, honey):
    lots.set_gtin(honey, seller.user, "8934567890120")
    lot = make_lot(honey)
    assert links.digital_link(lot) == "http://localhost/01/08934567890120/10/BC-2026-01"


def test_a_genuine_scan_is_counted_and_redirects_to_the_passport(client, db, seller, honey):
    lots.set_gtin(honey, seller.user, "8934567890120")
    lot = make_lot(honey)
    response = client.get(_path(links.digital_link(lot, signed=True)))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/lots/{lot.id}")
    counted = _lot(db, lot.id)
    assert counted.scan_count == 1 and counted.first_scanned_at is not None
    first = counted.first_scanned_at
    # The slug form of the same lot resolves too (labels printed before the GTIN was recorded).
    assert client.get(f"/p/{honey.slug}/10/{lot.code}?s={links.signature(lot.id)}").status_code == 302
    again = _lot(db, lot.id)
    assert again.scan_count == 2 and again.first_scanned_at == first


@pytest.mark.parametrize("query", ["", "?s=", "?s=AAAAAAAAAAA", "?s=forged-signature"])
def test_a_missing_or_forged_signature_is_not_a_genuine_code(client, db, honey, query):
    lot = make_lot(honey)
    response = client.get(f"/p/{honey.slug}/10/{lot.code}{query}")
    assert response.status_code == 404
    assert "Không phải mã chính hãng" in response.get_data(as_text=True)
    assert _lot(db, lot.id).scan_count == 0
    english = client.get(f"/p/{honey.slug}/10/{lot.code}{query}{'&' if query else '?'}lang=en")
    assert "Not a genuine code" in english.get_data(as_text=True)


def test_another_lots_signature_does_not_open_this_lot(client, db, honey):
    lot, other = make_lot(honey), make_lot(honey, code="BC-2026-02")
    response = client.get(f"/p/{honey.slug}/10/{lot.code}?s={links.signature(other.id)}")
    assert response.status_code == 404
    assert _lot(db, lot.id).scan_count == 0


def test_the_signature_is_keyed_by_the_secret_key(app, db, honey):
    lot = make_lot(honey)
    signed = links.signature(lot.id)
    saved = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another-deployment"
    try:
        assert links.signature(lot.id) != signed
    finally:
        app.config["SECRET_KEY"] = saved


@pytest.mark.parametrize("path", ["/01/08934567890120/10/BC-2026-01", "/01/123/10/BC-2026-01",
                                  "/p/khong-co/10/BC-2026-01", "/p/{slug}/10/KHONG-CO"])
def test_unknown_identifiers_are_not_genuine(client, db, honey, path):
    lot = make_lot(honey)
    response = client.get(path.format(slug=honey.slug) + f"?s={links.signature(lot.id)}")
    assert response.status_code == 404
    assert _lot(db, lot.id).scan_count == 0


def test_concurrent_scans_are_all_counted(app, db, honey):
    lot = make_lot(honey)
    path = _path(links.digital_link(lot, signed=True))
    barrier = threading.Barrier(SCANNERS)

    def scan(_i):
        barrier.wait()
        with app.test_client() as client:
            return client.get(path).status_code

    with ThreadPoolExecutor(max_workers=SCANNERS) as pool:
        statuses = list(pool.map(scan, range(SCANNERS)))
    assert statuses == [302] * SCANNERS
    counted = _lot(db, lot.id)
    assert counted.scan_count == SCANNERS
    assert counted.first_scanned_at is not None
    assert db.session.scalar(sa.select(Lot.first_scanned_at).where(Lot.id == lot.id)) <= counted.last_scanned_at
