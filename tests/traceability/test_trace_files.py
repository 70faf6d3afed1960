"""A lot's documents (VietGAP/organic certificates, test reports) and photos: uploaded through the
seller portal and the API with the certificate scans' safety rules, shown on the passport; a
producer manages only its own lots' files."""
from __future__ import annotations

import io

import sqlalchemy as sa

import factories
from trace_helpers import make_lot
from marketplace.traceability.models import LotFile
from tests.hardening.pdf_samples import plain_pdf
from tests.seller.seller_samples import SVG_WITH_SCRIPT, image_bytes

JS_ACTION = b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>"


def _upload(client, url, data: bytes, kind: str, name: str, title: str = ""):
    return client.post(url, data={"kind": kind, "title": title, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_documents_and_photos_through_the_api_are_shown_on_the_passport(seller_client, db, honey):
    lot = make_lot(honey)
    url = f"/api/v1/seller/lots/{lot.id}/files"
    doc = _upload(seller_client, url, plain_pdf(), "document", "vietgap.pdf", "Chứng nhận VietGAP")
    assert doc.status_code == 201, doc.get_json()
    photo = _upload(seller_client, url, image_bytes(exif=True), "photo", "hu-mat.jpg", "Hũ mật")
    assert photo.status_code == 201, photo.get_json()
    assert photo.get_json()["url"].endswith(".webp") and photo.get_json()["thumb_url"]

    body = seller_client.get(f"/api/v1/lots/{lot.id}").get_json()
    assert [d["title"] for d in body["documents"]] == ["Chứng nhận VietGAP"]
    assert [p["title"] for p in body["photos"]] == ["Hũ mật"]
    page = seller_client.get(f"/lots/{lot.id}").get_data(as_text=True)
    assert doc.get_json()["url"] in page and photo.get_json()["thumb_url"] in page
    stored = seller_client.get(doc.get_json()["url"])
    assert stored.status_code == 200 and stored.data.startswith(b"%PDF-")
    assert "sandbox" in stored.headers["Content-Security-Policy"]

    gone = seller_client.delete(f"{url}/{doc.get_json()['id']}")
    assert gone.status_code == 204
    assert seller_client.get(f"/api/v1/lots/{lot.id}").get_json()["documents"] == []
    assert seller_client.get(doc.get_json()["url"]).status_code == 404


def test_hostile_files_are_refused(seller_client, db, honey):
    lot = make_lot(honey)
    url = f"/api/v1/seller/lots/{lot.id}/files"
    for data, kind, name in ((plain_pdf(b"/OpenAction 4 0 R", (JS_ACTION,)), "document", "x.pdf"),
                             (SVG_WITH_SCRIPT, "photo", "x.svg"), (plain_pdf(), "photo", "x.pdf"),
                             (b"", "document", "empty.pdf"), (image_bytes(), "spreadsheet", "x.jpg")):
        response = _upload(seller_client, url, data, kind, name)
        assert response.status_code == 422, (name, response.get_json())
    assert db.session.scalar(sa.select(sa.func.count(LotFile.id))) == 0


def test_the_seller_portal_uploads_and_removes(seller_client, db, honey):
    lot = make_lot(honey)
    response = _upload(seller_client, f"/seller/lots/{lot.id}/files", image_bytes("PNG"), "photo", "a.png", "Ong")
    assert response.status_code == 302
    item = db.session.scalars(sa.select(LotFile)).one()
    page = seller_client.get(f"/seller/lots/{lot.id}").get_data(as_text=True)
    assert "Ong" in page
    bad = _upload(seller_client, f"/seller/lots/{lot.id}/files", SVG_WITH_SCRIPT, "photo", "a.svg")
    assert bad.status_code == 422
    assert seller_client.post(f"/seller/lots/{lot.id}/files/{item.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(LotFile.id))) == 0


def test_a_producer_cannot_touch_another_producers_lot_files(client, db, seller, other_seller, honey):
    lot = make_lot(honey)
    factories.login_as(client, seller.user)
    item = _upload(client, f"/api/v1/seller/lots/{lot.id}/files", image_bytes(), "photo", "a.jpg").get_json()
    client.post("/logout")
    factories.login_as(client, other_seller.user)
    assert _upload(client, f"/api/v1/seller/lots/{lot.id}/files", image_bytes(), "photo", "b.jpg").status_code == 404
    assert client.delete(f"/api/v1/seller/lots/{lot.id}/files/{item['id']}").status_code == 404
    assert _upload(client, f"/seller/lots/{lot.id}/files", image_bytes(), "photo", "b.jpg").status_code == 404
    assert client.post(f"/seller/lots/{lot.id}/files/{item['id']}/delete").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(LotFile.id))) == 1
