"""The index follows the database: after each commit, never after a rollback."""
from __future__ import annotations

import multiprocessing
import threading

import pytest
import sqlalchemy as sa

from marketplace.catalog.listing import BrowseParams, browse
from marketplace.catalog.models import Certificate, Producer, Product
from marketplace.extensions import db as _db
from marketplace.search import get_backend
from marketplace.search.whoosh_backend import WhooshBackend
from marketplace.timeutil import utcnow
from tests import factories as f


def found(q: str, **params) -> list[int]:
    return [p.id for p in browse(BrowseParams(q=q, **params)).items]


def test_a_new_product_is_found_right_after_its_commit(backend):
    assert found("tra hoa vang") == []
    tea = f.product("Trà hoa vàng Ba Chẽ")
    assert found("tra hoa vang") == [tea.id]


def test_editing_the_name_and_description_is_reflected(backend, db):
    tea = f.product("Trà hoa vàng")
    tea.name, tea.description = "Trà xanh Đầm Hà", "Búp chè tươi"
    db.session.commit()
    assert found("tra hoa vang") == []
    assert found("tra xanh dam ha") == [tea.id]
    assert found("bup che") == [tea.id]


def test_archiving_removes_and_reactivating_restores(backend, db):
    tea = f.product("Trà hoa vàng")
    tea.status = "archived"
    db.session.commit()
    assert found("tra hoa vang") == []
    tea.status = "active"
    db.session.commit()
    assert found("tra hoa vang") == [tea.id]


def test_certificate_changes_are_reflected_in_star_filters_and_facets(backend, db):
    tea = f.product("Trà hoa vàng", stars=4, verified=False)
    assert found("tra", stars=[4]) == []
    cert = db.session.scalar(sa.select(Certificate).where(Certificate.product_id == tea.id))
    cert.verified = True
    db.session.commit()
    assert found("tra", stars=[4]) == [tea.id]
    cert.stars = 5
    db.session.commit()
    result = browse(BrowseParams(q="tra"))
    assert result.facets["stars"] == {"3": 0, "4": 0, "5": 1}
    db.session.delete(cert)
    db.session.commit()
    assert browse(BrowseParams(q="tra")).facets["stars"] == {"3": 0, "4": 0, "5": 0}


def test_stock_changes_are_reflected_also_from_bulk_updates(backend, db):
    tea = f.product("Trà hoa vàng", stock=1)
    assert found("tra", in_stock=True) == [tea.id]
    tea.stock = 0
    db.session.commit()
    assert found("tra", in_stock=True) == [] and found("tra", in_stock=False) == [tea.id]
    # A conditional UPDATE statement (how checkout reserves stock) is followed too.
    db.session.execute(sa.update(Product).where(Product.id == tea.id).values(stock=Product.stock + 3))
    db.session.commit()
    assert found("tra", in_stock=True) == [tea.id]


def test_producer_suspension_and_approval_are_reflected(backend, db):
    producer = f.producer("HTX Trà Ba Chẽ")
    tea = f.product("Trà hoa vàng", prod=producer)
    producer.suspended_at = utcnow()
    db.session.commit()
    assert found("tra hoa vang") == []
    producer.suspended_at = None
    producer.approved = False
    db.session.commit()
    assert found("tra hoa vang") == []
    producer.approved = True
    db.session.commit()
    assert found("tra hoa vang") == [tea.id]
    producer.name = "Hợp tác xã Đồng Tâm"
    db.session.commit()
    assert found("dong tam") == [tea.id]


def test_a_rolled_back_transaction_leaves_the_index_untouched(backend, db):
    tea = f.product("Trà hoa vàng")
    tea.name = "Trà xanh"
    db.session.add(Product(slug="mat-ong", name="Mật ong", unit="chai", price_vnd=1, stock=1, status="active",
                           category_id=tea.category_id, producer_id=tea.producer_id))
    db.session.flush()
    db.session.rollback()
    assert found("tra hoa vang") == [tea.id]
    assert found("tra xanh") == [] and found("mat ong") == []
    assert backend.doc_count() == 1


def test_a_failed_commit_leaves_the_index_untouched(backend, db):
    tea = f.product("Trà hoa vàng")
    tea.name, tea.price_vnd = "Trà xanh", -1  # violates price_nonnegative
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert found("tra hoa vang") == [tea.id] and found("tra xanh") == []
    # The next, unrelated commit does not carry the failed change along.
    f.product("Mật ong")
    assert found("tra xanh") == []


# -- several writers at once (Whoosh: one index directory, several processes) -----------

def _rename_behind_the_index(ids, prefix):
    """Rename products with plain SQL: no session events, the index does not know."""
    for pid in ids:
        _db.session.execute(sa.text("UPDATE products SET name = :n WHERE id = :id"),
                            {"n": f"{prefix} số {pid}", "id": pid})
    _db.session.commit()


def test_concurrent_threads_committing_changes_lose_no_update(whoosh, app, db):
    from types import SimpleNamespace

    producer = SimpleNamespace(id=f.producer().id)  # plain ids: sessions are per thread
    category = SimpleNamespace(id=f.category().id)
    errors = []

    def worker(n):
        try:
            with app.app_context():
                for i in range(4):
                    product = f.product(f"Gạo nếp cái hoa vàng {n} {i}", prod=producer, cat=category,
                                        price_vnd=1000 * n + i)
                    product.price_vnd += 1  # a second commit on the same product
                    _db.session.commit()
                _db.session.remove()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(1, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = browse(BrowseParams(q="gao nep", per_page=100, sort="price_asc"))
    assert result.total == 24 and whoosh.doc_count() == 24
    assert [p.price_vnd for p in result.items] == sorted(1000 * n + i + 1 for n in range(1, 7) for i in range(4))


def _apply_in_child(app, root, ids, queue):
    try:
        with app.app_context():
            _db.engine.dispose(close=False)  # never share the parent's connections
            WhooshBackend(root).apply(set(ids))
        queue.put(None)
    except Exception as exc:  # noqa: BLE001
        queue.put(repr(exc))


def test_concurrent_processes_writing_the_index_lose_no_update(whoosh, app, db):
    producer, category = f.producer(), f.category()
    ids = [f.product(f"Hải sản khô {i}", prod=producer, cat=category).id for i in range(24)]
    _rename_behind_the_index(ids, "Chả mực")
    assert found("cha muc") == []

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    root = app.config["SEARCH_INDEX_DIR"]
    children = [ctx.Process(target=_apply_in_child, args=(app, root, ids[k::4], queue)) for k in range(4)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [queue.get(timeout=5) for _ in children] == [None] * 4
    assert all(child.exitcode == 0 for child in children)
    assert sorted(found("cha muc", per_page=100)) == sorted(ids)
    assert whoosh.doc_count() == 24 and whoosh.health()["pending"] == 0


def test_a_writer_that_cannot_get_the_lock_leaves_its_change_for_the_next(whoosh, app, db):
    from marketplace.search.whoosh_backend import file_lock

    tea = f.product("Trà hoa vàng")
    _rename_behind_the_index([tea.id], "Trà xanh")
    impatient = WhooshBackend(app.config["SEARCH_INDEX_DIR"], write_timeout=0.05)
    with file_lock(impatient.lock_path, timeout=1) as held:  # another worker is writing
        assert held
        impatient.apply({tea.id})  # gives up without raising
        assert impatient.health()["pending"] == 1
    assert found("tra xanh") == [tea.id]  # the next reader catches up
    assert whoosh.health()["pending"] == 0


def test_whoosh_after_a_write_reads_only_the_new_segment(whoosh, db, monkeypatch):
    """A sale writes the index; the next search reuses what it derived from the segments
    that did not change, and still answers from the new version."""
    from whoosh.reading import SegmentReader

    honey = [f.product(f"Mật ong rừng {n}", price_vnd=100_000 + n, stock=5) for n in range(30)]
    whoosh.rebuild()  # one segment of 30
    assert found("mat ong", in_stock=True, sort="price_asc")[:2] == [honey[0].id, honey[1].id]
    honey[0].stock = 0
    db.session.commit()  # the index writer reads postings too (to delete the old document)
    read: list[int] = []
    real = SegmentReader.postings

    def counting(self, fieldname, text, *args, **kwargs):
        read.append(self.doc_count_all())
        return real(self, fieldname, text, *args, **kwargs)

    monkeypatch.setattr(SegmentReader, "postings", counting)
    assert found("mat ong", in_stock=True, sort="price_asc")[:2] == [honey[1].id, honey[2].id]
    assert found("mat ong", in_stock=False) == [honey[0].id]
    assert read and max(read) == 1  # only the new one-document segment's postings were read
