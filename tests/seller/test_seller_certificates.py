"""OCOP certificate claims: pending until verified, scans validated, expiry warnings."""
from __future__ import annotations

import io
from datetime import date, timedelta

import sqlalchemy as sa

from tests import factories
from marketplace.catalog.models import Certificate
from marketplace.storage import get_storage
from marketplace.timeutil import local_today
from seller_samples import clear_outbox, image_bytes, mail_text, outbox
from tests.hardening.pdf_samples import plain_pdf

PDF = plain_pdf()
PDF_WITH_SCRIPT = plain_pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")


def _claim(client, product, scan=None, **fields):
    data = {"stars": "4", "certificate_no": "QN-2024-117", "level": "province", "issued_on": "2024-03-15", **fields}
    if scan is not None:
        data["scan"] = (io.BytesIO(scan[1]), scan[0])
    return client.post(f"/seller/products/{product.id}/certificate", data=data, content_type="multipart/form-data")


def test_a_claim_is_pending_until_verified_and_expires_after_36_months(seller_client, seller, db):
    product = factories.product(prod=seller.producer, stars=None)
    response = _claim(seller_client, product, scan=("giay-chung-nhan.pdf", PDF))
    assert response.status_code == 302
    cert = db.session.scalar(sa.select(Certificate))
    assert (cert.stars, cert.certificate_no, cert.level, cert.issued_on, cert.expires_on, cert.verified) == (
        4, "QN-2024-117", "province", date(2024, 3, 15), date(2027, 3, 15), False)
    assert cert.status == "pending"
    db.session.refresh(product)
    assert product.ocop_stars is None  # no public badge while pending

    page = seller_client.get(f"/seller/products/{product.id}").get_data(as_text=True)
    assert "Pending verification" in page or "Chờ xác minh" in page

    scan = seller_client.get(f"/seller/products/{product.id}/certificate/scan")
    assert scan.status_code == 200 and scan.mimetype == "application/pdf" and scan.data == PDF
    assert "no-store" in scan.headers["Cache-Control"] and "sandbox" in scan.headers["Content-Security-Policy"]
    # Scans are private: the public media route refuses them.
    assert seller_client.get(f"/media/{cert.scan_path}").status_code == 404

    # Once an admin verifies it (the admin portal's job), the badge is public.
    cert.verified = True
    db.session.commit()
    db.session.refresh(product)
    assert product.ocop_stars == 4


def test_a_new_claim_on_a_verified_certificate_waits_for_verification_again(client, seller, db):
    product = factories.product(prod=seller.producer, stars=3, verified=True)
    assert product.ocop_stars == 3
    factories.login_as(client, seller.user)
    response = client.patch(f"/api/v1/seller/products/{product.id}", json={"certification": {
        "stars": 5, "certificate_no": "TW-2025-009", "level": "national", "issued_on": "2025-01-10",
        "expires_on": "2028-01-09"}})
    assert response.status_code == 200
    certification = response.json["certification"]
    assert certification == {"stars": 5, "certificate_no": "TW-2025-009", "level": "national",
                             "issued_on": "2025-01-10", "expires_on": "2028-01-09", "verified": False,
                             "status": "pending", "has_scan": False}
    assert response.json["ocop_stars"] is None
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 1


def test_invalid_claims_and_hostile_scans_are_refused(seller_client, seller, db):
    product = factories.product(prod=seller.producer, stars=None)
    future = (local_today() + timedelta(days=3)).isoformat()
    cases = [
        ({"stars": "6"}, None, "Số sao phải từ 1 đến 5"),
        ({"certificate_no": ""}, None, "Vui lòng nhập số giấy chứng nhận"),
        ({"stars": "5", "level": "province"}, None, "Sản phẩm 5 sao do cấp trung ương công nhận"),
        ({"issued_on": future}, None, "Ngày cấp phải từ 2013 đến hôm nay"),
        ({"issued_on": "15/03/2024", "expires_on": "2024-01-01"}, None, "Ngày hết hạn phải sau ngày cấp"),
        ({}, ("scan.pdf", PDF_WITH_SCRIPT), "Tệp PDF chứa mã lệnh, hành động hoặc tệp nhúng nên không được nhận"),
        ({}, ("scan.jpg", b"%!PS-Adobe not a scan" * 20), "không phải là ảnh JPEG, PNG hoặc WebP hợp lệ"),
    ]
    for fields, scan, message in cases:
        response = _claim(seller_client, product, scan=scan, **fields)
        assert response.status_code == 422, fields
        assert message in response.get_data(as_text=True), message
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0


def test_a_photo_scan_is_stored_without_metadata(seller_client, seller, db):
    product = factories.product(prod=seller.producer, stars=None)
    assert _claim(seller_client, product, scan=("scan.jpg", image_bytes(exif=True))).status_code == 302
    cert = db.session.scalar(sa.select(Certificate))
    assert cert.scan_path.startswith("private/certificates/") and cert.scan_path.endswith(".webp")
    assert b"PhoneMaker" not in get_storage().read(cert.scan_path)


def test_expiring_certificates_warn_in_the_portal_and_once_by_email(app, seller_client, seller, db):
    from click.testing import CliRunner

    from marketplace.seller.cli import seller_cli

    today = local_today()
    soon = factories.product("Mật ong rừng", prod=seller.producer, stars=4, expires_on=today + timedelta(days=30))
    factories.product("Miến dong", prod=seller.producer, stars=4, expires_on=today + timedelta(days=200))
    factories.product("Chè chưa xác minh", prod=seller.producer, stars=4, verified=False,
                      expires_on=today + timedelta(days=10))
    page = seller_client.get("/seller/").get_data(as_text=True)
    assert "Mật ong rừng" in page and "Miến dong" not in page and "Chè chưa xác minh" not in page

    clear_outbox(app)
    runner = CliRunner()
    with app.app_context():
        first = runner.invoke(seller_cli, ["warn-expiring"], obj=None, standalone_mode=False)
    assert first.exception is None and "đã gửi 1 cảnh báo" in first.output
    messages = outbox(app)
    assert len(messages) == 1 and seller.user.email in messages[0]["To"]
    assert "Mật ong rừng" in mail_text(messages[0]) and "Miến dong" not in mail_text(messages[0])
    with app.app_context():
        again = runner.invoke(seller_cli, ["warn-expiring"], standalone_mode=False)
    assert "đã gửi 0 cảnh báo" in again.output and len(outbox(app)) == 1
    db.session.refresh(soon.certificate)
    assert soon.certificate.expiry_notified_at is not None
