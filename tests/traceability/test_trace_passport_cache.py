"""The passport page for visitors without a session comes from the cache, yet a scan, a recall,
an edit of the lot or its files, and a change of the product show on the very next request."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

import factories
from tests.hardening.pdf_samples import plain_pdf
from trace_helpers import make_lot
from marketplace.traceability import links
from marketplace.traceability.models import Lot


@pytest.fixture
def cached(app, monkeypatch):
    """The production setting: caches on (the test configuration turns them off), emptied."""
    from marketplace.cache import get_cache

    monkeypatch.setitem(app.config, "CACHE_ENABLED", True)
    with app.app_context():
        get_cache().clear()
    yield
    with app.app_context():
        get_cache().clear()


def _label(lot) -> str:
    return f"/p/{lot.product.slug}/10/{lot.code}?s={links.signature(lot.id)}"


def _scan(client, lot):
    return client.get(_label(lot))


def test_a_cached_passport_costs_one_statement_and_sets_no_cookie(client, db, honey, cached, query_counter):
    lot = make_lot(honey)
    first = client.get(f"/lots/{lot.id}")
    assert first.status_code == 200 and "Set-Cookie" not in first.headers
    with query_counter() as q:
        again = client.get(f"/lots/{lot.id}")
    assert again.status_code == 200 and q.count == 1, q.statements
    assert again.get_data() == first.get_data()
    assert client.get("/lots/999999").status_code == 404


def test_a_scan_is_one_update_and_shows_at_once(client, db, honey, cached, query_counter):
    lot = make_lot(honey)
    assert 'data-scans="0"' in client.get(f"/lots/{lot.id}").get_data(as_text=True)
    _scan(client, lot)  # remembers the lot's id for its identifier
    with query_counter() as q:
        assert _scan(client, lot).status_code == 302
    assert len(q.statements) == 1 and q.statements[0].startswith("UPDATE lots") and "RETURNING" in q.statements[0]
    page = client.get(f"/lots/{lot.id}").get_data(as_text=True)
    assert 'data-scans="2"' in page and page.count("data-scans=") == 1


def test_a_first_scan_looks_the_lot_up_once_then_only_counts(client, db, honey, cached, query_counter):
    lot = make_lot(honey)
    label, lot_id = _label(lot), lot.id
    with query_counter() as q:
        first = client.get(label)
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/lots/{lot_id}")
    assert [s.split()[0] for s in q.statements] == ["SELECT", "UPDATE"], q.statements
    with query_counter() as q:
        again = client.get(label)
    assert again.status_code == 302 and len(q.statements) == 1


def test_a_scan_is_never_kept_by_a_cache_and_sets_no_cookie(client, db, honey, cached):
    lot = make_lot(honey)
    for response in (_scan(client, lot), client.get(f"/p/{honey.slug}/10/{lot.code}?s=forged")):
        assert response.headers["Cache-Control"] == "no-store"
        assert "Set-Cookie" not in response.headers
    assert response.status_code == 404


def test_the_passport_is_fetched_again_on_every_visit(client, db, honey, cached):
    lot = make_lot(honey)
    first = client.get(f"/lots/{lot.id}")
    assert first.headers["Cache-Control"] == "private, no-cache" and "Cookie" in first.headers["Vary"]
    _scan(client, lot)
    assert 'data-scans="1"' in client.get(f"/lots/{lot.id}").get_data(as_text=True)


def test_a_recall_shows_at_once_on_the_cached_page(client, db, honey, cached):
    from marketplace.traceability.recalls import recall

    lot = make_lot(honey)
    assert 'data-warning="recalled"' not in client.get(f"/lots/{lot.id}").get_data(as_text=True)
    recall(lot, factories.user("admin"), "Vượt ngưỡng kháng sinh")
    page = client.get(f"/lots/{lot.id}").get_data(as_text=True)
    assert 'data-warning="recalled"' in page and "Vượt ngưỡng kháng sinh" in page


def test_edits_of_the_lot_its_files_and_its_product_show_at_once(client, db, seller, honey, cached):
    from marketplace.traceability.files import add_lot_file
    from marketplace.traceability.lots import update_lot

    lot = make_lot(honey)
    client.get(f"/lots/{lot.id}")
    update_lot(lot, seller.user, {"process": ["Quay mật", "Đóng lọ thủy tinh"]})
    assert "Đóng lọ thủy tinh" in client.get(f"/lots/{lot.id}").get_data(as_text=True)
    add_lot_file(lot, seller.user, "document", plain_pdf(), "Giấy chứng nhận VietGAP")
    assert "Giấy chứng nhận VietGAP" in client.get(f"/lots/{lot.id}").get_data(as_text=True)
    honey.name = "Mật ong rừng Ba Chẽ loại đặc biệt"
    db.session.commit()
    assert "Mật ong rừng Ba Chẽ loại đặc biệt" in client.get(f"/lots/{lot.id}").get_data(as_text=True)


def test_copied_labels_warning_follows_the_scan_count(client, db, honey, cached):
    from marketplace.traceability.passports import PLAUSIBLE_SCANS_MIN

    lot = make_lot(honey, quantity=1)
    db.session.execute(sa.update(Lot).where(Lot.id == lot.id).values(scan_count=PLAUSIBLE_SCANS_MIN))
    db.session.commit()
    assert 'data-warning="implausible_scans"' not in client.get(f"/lots/{lot.id}").get_data(as_text=True)
    _scan(client, lot)
    assert 'data-warning="implausible_scans"' in client.get(f"/lots/{lot.id}").get_data(as_text=True)


def test_a_signed_in_admin_gets_the_recall_form_never_the_visitors_page(client, db, honey, cached):
    lot = make_lot(honey)
    client.get(f"/lots/{lot.id}")  # the visitors' page is cached
    factories.login_as(client, factories.user("admin"))
    page = client.get(f"/lots/{lot.id}").get_data(as_text=True)
    assert "traceability/admin" not in page and f"/admin/lots/{lot.id}/recall" in page


def test_a_remembered_identifier_follows_a_lot_code_moving_to_another_lot(client, db, seller, honey, cached):
    from marketplace.traceability.lots import update_lot

    old = make_lot(honey, code="BC-A")
    assert _scan(client, old).status_code == 302
    update_lot(old, seller.user, {"code": "BC-A-OLD"})
    new = make_lot(honey, code="BC-A")
    assert _scan(client, new).status_code == 302
    # The old label (old id's signature, the code now the new lot's) is not genuine any more.
    forged = client.get(f"/p/{honey.slug}/10/BC-A?s={links.signature(old.id)}")
    assert forged.status_code == 404
    db.session.expire_all()
    assert db.session.get(Lot, new.id).scan_count == 1 and db.session.get(Lot, old.id).scan_count == 1
