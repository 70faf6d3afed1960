"""Certificate scans are safe to open.

Uploaded PDFs are parsed (pypdf), not searched for raw bytes: a script hidden behind a
#xx-escaped name or inside a compressed object stream is found like a plain one, and a
PDF with scripts, actions run on opening or on an event, launch commands or embedded
files is refused. Scans are served as downloads, never inline.
"""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Certificate
from marketplace.errors import ValidationFailed
from marketplace.uploads import check_document
from tests import factories
from tests.hardening.pdf_samples import object_stream_pdf, plain_pdf

JS_ACTION = b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>"
HOSTILE = {
    "open action script": plain_pdf(b"/OpenAction 4 0 R", (JS_ACTION,)),
    "escaped names": plain_pdf(b"/Open#41ction << /S /J#61vaScript /J#53 (app.alert(1)) >>"),
    "script in an object stream": object_stream_pdf(b"/OpenAction 4 0 R", (JS_ACTION,)),
    "launch in an object stream": object_stream_pdf(b"/OpenAction << /S /Launch /F (cmd.exe) >>"),
    "page additional action": plain_pdf(b"", (b"<< /O << /S /URI /URI (http://x.example) >> >>",)).replace(
        b"/MediaBox [0 0 200 200]", b"/MediaBox [0 0 200 200] /AA 4 0 R"),
    "document-level javascript": object_stream_pdf(b"/Names << /JavaScript 4 0 R >>",
                                                   (b"<< /Names [(a) 5 0 R] >>", JS_ACTION)),
    "embedded file": object_stream_pdf(b"/Names << /EmbeddedFiles << /Names [(x.exe) 4 0 R] >> >>",
                                       (b"<< /Type /Filespec /F (x.exe) >>",)),
    "file attachment annotation": plain_pdf(b"", (b"<< /Type /Annot /Subtype /FileAttachment /FS (x.exe) >>",)),
}


@pytest.mark.parametrize("pdf", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_pdf_with_active_content_is_refused(ctx, pdf):
    for marker in (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile") if b"ObjStm" in pdf else ():
        assert marker not in pdf  # what a byte search would have looked for is not there
    with pytest.raises(ValidationFailed) as refused:
        check_document(pdf)
    assert refused.value.fields == {"scan": ["Tệp PDF chứa mã lệnh, hành động hoặc tệp nhúng nên không được nhận."]}


@pytest.mark.parametrize("pdf", [plain_pdf(), object_stream_pdf(b"")], ids=["plain", "object stream"])
def test_a_plain_pdf_is_accepted_as_it_is(ctx, pdf):
    assert check_document(pdf) == (pdf, ".pdf", "application/pdf")


def test_a_damaged_pdf_is_refused(ctx):
    with pytest.raises(ValidationFailed):
        check_document(b"%PDF-1.7\n" + b"[" * 50_000 + b"\n%%EOF\n")


def test_scans_are_downloaded_not_opened(db, client):
    producer = factories.producer()
    product = factories.product(prod=producer, stars=None)
    seller = factories.user("seller", producer_id=producer.id)
    factories.login_as(client, seller)
    pdf = plain_pdf()
    response = client.post(f"/seller/products/{product.id}/certificate", content_type="multipart/form-data",
                           data={"stars": "4", "certificate_no": "QN-2024-0099", "level": "province",
                                 "issued_on": "2024-03-15", "scan": (io.BytesIO(pdf), "scan.pdf")})
    assert response.status_code == 302, response.get_data(as_text=True)
    seller_copy = client.get(f"/seller/products/{product.id}/certificate/scan")
    assert seller_copy.data == pdf
    assert seller_copy.headers["Content-Disposition"].startswith("attachment")
    cert = db.session.scalar(sa.select(Certificate))
    factories.login_as(client, factories.user("admin"))
    admin_copy = client.get(f"/admin/certificates/{cert.id}/scan")
    assert admin_copy.status_code == 200 and admin_copy.headers["Content-Disposition"].startswith("attachment")


def test_a_seller_uploading_a_hidden_script_gets_a_form_error(db, client):
    producer = factories.producer()
    product = factories.product(prod=producer, stars=None)
    factories.login_as(client, factories.user("seller", producer_id=producer.id))
    response = client.post(f"/seller/products/{product.id}/certificate?lang=en", content_type="multipart/form-data",
                           data={"stars": "4", "certificate_no": "QN-2024-0099", "level": "province",
                                 "issued_on": "2024-03-15",
                                 "scan": (io.BytesIO(HOSTILE["script in an object stream"]), "scan.pdf")})
    assert response.status_code == 422
    assert "The PDF contains scripts, actions or embedded files" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0
