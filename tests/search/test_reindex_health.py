"""`flask search reindex`, `--if-missing`, the index's health in /readyz, and `flask search status`."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from marketplace.catalog.listing import BrowseParams, browse
from tests import factories as f


def hide_from_index(db, *products):
    """Make the database and the index disagree: plain SQL bypasses the session events."""
    for product in products:
        db.session.execute(sa.text("UPDATE products SET name = 'Sá sùng Vân Đồn' WHERE id = :id"), {"id": product.id})
    db.session.commit()


def reindex(app, *args):
    return app.test_cli_runner().invoke(args=["search", "reindex", *args])


def test_reindex_rebuilds_the_index_from_the_database(backend, app, db):
    tea, honey = f.product("Trà hoa vàng"), f.product("Mật ong rừng")
    f.product("Mật ong hoa nhãn", status="draft")
    hide_from_index(db, tea)
    backend.clear()
    assert browse(BrowseParams(q="mat ong")).total == 0
    result = reindex(app)
    assert result.exit_code == 0, result.output
    assert "Đang lập chỉ mục 2 sản phẩm" in result.output and "đã lập chỉ mục 2 sản phẩm" in result.output
    assert [p.id for p in browse(BrowseParams(q="sa sung van don")).items] == [tea.id]
    assert [p.id for p in browse(BrowseParams(q="mat ong")).items] == [honey.id]
    assert backend.doc_count() == 2
    # And the index keeps following the database afterwards.
    honey.status = "archived"
    db.session.commit()
    assert browse(BrowseParams(q="mat ong")).total == 0


def test_reindex_if_missing_only_builds_when_there_is_no_complete_index(backend, app, db):
    tea = f.product("Trà hoa vàng")
    backend.clear()
    first = reindex(app, "--if-missing")
    assert first.exit_code == 0 and "đã lập chỉ mục 1 sản phẩm" in first.output
    hide_from_index(db, tea)
    second = reindex(app, "--if-missing")
    assert second.exit_code == 0 and "không có gì phải làm" in second.output
    assert browse(BrowseParams(q="sa sung")).total == 0  # not rebuilt
    assert reindex(app).exit_code == 0
    assert browse(BrowseParams(q="sa sung")).total == 1


def test_health_reports_a_missing_and_a_stale_index(backend, app, db, client):
    assert backend.health()["ok"] is True  # nothing to index yet
    tea = f.product("Trà hoa vàng")
    f.product("Mật ong rừng")
    backend.clear()
    health = backend.health()
    assert health["ok"] is False and health["status"] in ("missing", "stale") and health["expected"] == 2
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["search"]["ok"] is False
    assert reindex(app).exit_code == 0
    assert backend.health() | {"built_at": None} == {"ok": True, "backend": backend.name, "status": "ok",
                                                     "documents": 2, "expected": 2} | (
        {"pending": 0, "built_at": None} if backend.name == "whoosh" else {"built_at": None})
    assert client.get("/readyz").status_code == 200
    db.session.execute(sa.text("UPDATE products SET status = 'archived' WHERE id = :id"), {"id": tea.id})
    db.session.commit()
    health = backend.health()
    assert health["ok"] is False and health["status"] == "stale" and health["documents"] == 2
    assert client.get("/readyz").get_json()["checks"]["search"]["status"] == "stale"


def test_whoosh_health_reports_a_missing_index_directory(whoosh, app, db):
    f.product("Trà hoa vàng")
    import shutil

    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    health = whoosh.health()
    assert health == {"ok": False, "backend": "whoosh", "status": "missing", "documents": 0, "expected": 1}
    assert browse(BrowseParams(q="tra")).total == 0  # searching a missing index is empty, not an error
    assert reindex(app, "--if-missing").exit_code == 0
    assert whoosh.health()["ok"] is True


def status(app):
    return app.test_cli_runner().invoke(args=["search", "status"])


def test_status_prints_the_health_and_on_postgres_the_memory_the_index_needs(backend, app, db):
    f.product("Trà hoa vàng Ba Chẽ")
    backend.rebuild()
    result = status(app)
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["ok"] is True and report["documents"] == 1
    if backend.name != "postgres":
        assert "memory" not in report and not result.stderr
        return
    tables, buffers = db.session.execute(sa.text(
        "SELECT pg_total_relation_size('search_documents') + pg_total_relation_size('search_facets'),"
        " pg_size_bytes(current_setting('shared_buffers'))")).one()
    assert report["memory"] == {"tables_bytes": tables, "shared_buffers_bytes": buffers}
    assert 0 < tables < buffers and not result.stderr  # a test catalogue fits


def test_status_warns_when_the_search_tables_outgrow_shared_buffers(backend, app, db, monkeypatch):
    if backend.name != "postgres":
        pytest.skip("the index lives in PostgreSQL's shared memory only on the postgres backend")
    monkeypatch.setattr(type(backend), "memory", lambda self: {"tables_bytes": 390 * 2**20 + 1,
                                                               "shared_buffers_bytes": 128 * 2**20})
    result = status(app)
    assert result.exit_code == 0 and json.loads(result.stdout)["memory"]["shared_buffers_bytes"] == 128 * 2**20
    assert "Cảnh báo: các bảng tìm kiếm (391 MB) lớn hơn shared_buffers của PostgreSQL (128 MB)" in result.stderr
    assert "ít nhất 391 MB" in result.stderr
