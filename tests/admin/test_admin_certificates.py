"""Verifying OCOP star ratings: one by one, from the official register, and expiry."""
from __future__ import annotations

import email
import json
from email import policy
from datetime import date, timedelta

import pytest

from marketplace.admin import register, services
from marketplace.audit import AuditEntry
from marketplace.catalog.models import Certificate
from marketplace.errors import ValidationFailed
from marketplace.extensions import db as _db
from marketplace.timeutil import local_today
from tests import factories as f


def _claim(product_name="Trà hoa vàng", stars=4, number="QN-2024-001", producer=None, issued=date(2024, 5, 10),
           expires=date(2027, 5, 10)):
    item = f.product(product_name, prod=producer or f.producer("HTX Trà hoa vàng Ba Chẽ"), stars=None)
    cert = Certificate(product_id=item.id, stars=stars, certificate_no=number, issued_on=issued, expires_on=expires,
                       verified=False, scan_path="certificates/scan.png")
    _db.session.add(cert)
    _db.session.commit()
    return item, cert


def test_a_verified_claim_gives_the_product_its_stars_and_is_audited(db):
    admin = f.user("admin")
    item, cert = _claim()
    assert item.ocop_stars is None
    assert [c.id for c in services.pending_certificates().items] == [cert.id]

    services.verify_certificate(admin, cert.id)

    db.session.refresh(item)
    assert item.ocop_stars == 4 and item.certificate.verified_by_id == admin.id
    assert services.pending_certificates().total == 0
    entry = db.session.query(AuditEntry).filter_by(action="certificate.verify").one()
    assert json.loads(entry.before)["verified"] is False and json.loads(entry.after)["verified"] is True


def test_a_rejected_claim_leaves_the_queue_with_its_reason_and_shows_no_stars(db):
    admin = f.user("admin")
    item, cert = _claim()
    with pytest.raises(ValidationFailed):
        services.reject_certificate(admin, cert.id, "")
    services.reject_certificate(admin, cert.id, "Ảnh chụp không đọc được")
    db.session.refresh(cert)
    assert cert.status == "rejected" and cert.rejected_reason == "Ảnh chụp không đọc được"
    assert item.ocop_stars is None and services.pending_certificates().total == 0
    assert db.session.query(AuditEntry).filter_by(action="certificate.reject").one().note == "Ảnh chụp không đọc được"


REGISTER = (
    "\ufeffSố chứng nhận;Sản phẩm;Chủ thể;Số sao;Ngày cấp;Ngày hết hạn\n"
    "QN-2024-001;Trà hoa vàng;HTX Trà hoa vàng Ba Chẽ;4;10/05/2024;10/05/2027\n"
    "qn 2024 002;Chả mực;Công ty Chả mực Hạ Long;5;2024-06-01;2027-06-01\n"
    "QN-2024-003;Ngán;HTX Ngán Đầm Hà;3;01/01/2024;01/01/2027\n"
    "QN-2024-004;Rượu;HTX Rượu;4;31/02/2024;01/01/2027\n"
).encode("utf-8")


def test_the_register_verifies_matching_claims_and_reports_mismatches(db):
    admin = f.user("admin")
    _, tea = _claim()
    _, squid = _claim("Chả mực", stars=4, number="QN-2024-002", producer=f.producer("Công ty Chả mực Hạ Long"),
                      issued=date(2024, 6, 1), expires=date(2027, 6, 1))
    _, other = _claim("Miến dong", number="QN-2024-999", producer=f.producer("HTX Miến dong Bình Liêu"))

    report = register.import_register(admin, REGISTER, "so-do-2024.csv")

    assert report.summary() == {"rows": 4, "verified": 1, "mismatches": 1, "unclaimed": 1, "invalid": 1}
    assert report.verified == [(2, "QN-2024-001", "Trà hoa vàng")]
    assert report.mismatches[0].certificate_no == "QN-2024-002"
    assert report.mismatches[0].differences == [("stars", "4", "5")]
    assert report.unclaimed == [(4, "QN-2024-003")]
    assert report.invalid[0][0] == 5
    db.session.expire_all()
    assert db.session.get(Certificate, tea.id).verified
    assert not db.session.get(Certificate, squid.id).verified  # a person decides on mismatches
    assert not db.session.get(Certificate, other.id).verified
    assert db.session.query(AuditEntry).filter_by(action="certificate.verify").count() == 1
    summary = db.session.query(AuditEntry).filter_by(action="certificate.register_import").one()
    assert json.loads(summary.after)["verified"] == 1


def test_a_register_from_another_producer_does_not_verify_the_claim(db):
    _, cert = _claim()
    data = ("certificate_no,producer,stars,issued_on,expires_on\n"
            "QN-2024-001,HTX Khác,4,2024-05-10,2027-05-10\n").encode()
    report = register.import_register(f.user("admin"), data)
    assert report.mismatches[0].differences == [("producer", "HTX Trà hoa vàng Ba Chẽ", "HTX Khác")]
    db.session.refresh(cert)
    assert not cert.verified


def test_a_register_without_the_needed_columns_is_refused_whole(db):
    _claim()
    with pytest.raises(ValidationFailed) as caught:
        register.import_register(f.user("admin"), b"certificate_no,stars\nQN-2024-001,4\n")
    assert "producer" in caught.value.message
    assert db.session.query(AuditEntry).count() == 0


def test_expiry_is_recorded_and_notified_once_however_often_cron_runs(app, db, tmp_path):
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path)
    try:
        producer = f.producer(email="htx@example.vn")
        today = local_today()
        old = f.product("Hải sản khô", prod=producer, expires_on=today - timedelta(days=1))
        still = f.product("Mật ong", prod=producer, expires_on=today)
        assert old.ocop_stars is None and still.ocop_stars == 4

        first = services.expire_certificates(today)
        second = services.expire_certificates(today)
    finally:
        app.config["MAIL_OUTBOX_DIR"] = str(tmp_path.parent / "outbox")
    assert [c.product_id for c in first] == [old.id] and second == []
    assert db.session.query(AuditEntry).filter_by(action="certificate.expire").count() == 1
    mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in tmp_path.glob("*.eml")]
    assert len(mails) == 1 and mails[0]["To"] == "htx@example.vn"
    body = mails[0].get_content()
    assert "Hải sản khô" in body and "Mật ong" not in body


def test_the_expire_command_runs_from_the_cli(app, db):
    f.product("Hải sản khô", expires_on=date(2025, 1, 1))
    result = app.test_cli_runner().invoke(args=["ocop", "expire-certificates", "--today", "2025-01-02"])
    assert result.exit_code == 0, result.output
    assert "1 giấy chứng nhận vừa hết hạn" in result.output
    again = app.test_cli_runner().invoke(args=["ocop", "expire-certificates", "--today", "2025-01-02"])
    assert "0 giấy chứng nhận vừa hết hạn" in again.output


def test_the_star_dashboard_counts_live_certificates_by_group_and_locality(db):
    food = f.category("Thực phẩm", "Food")
    tea = f.category("Trà", "Tea", parent=food)
    drinks = f.category("Đồ uống", "Drinks")
    ha_long = f.producer(loc=f.locality("Hồng Gai", "Hạ Long", "ward"))
    ba_che = f.producer(loc=f.locality("Ba Chẽ", "Ba Chẽ"))
    f.product(cat=tea, prod=ba_che, stars=4)
    f.product(cat=food, prod=ha_long, stars=5)
    f.product(cat=drinks, prod=ha_long, stars=3)
    f.product(cat=drinks, prod=ha_long, stars=4, verified=False)
    f.product(cat=drinks, prod=ha_long, stars=4, expires_on=local_today() - timedelta(days=1))
    f.product(cat=drinks, prod=ha_long, stars=4, status="archived")

    dashboard = services.star_dashboard()

    by_group = {r["key"][0]: (r[3], r[4], r[5]) for r in dashboard["by_group"]}
    assert by_group == {"food": (0, 1, 1), "drinks": (1, 0, 0)}
    by_locality = {r["key"][1]: r["total"] for r in dashboard["by_locality"]}
    assert by_locality == {"Hồng Gai": 2, "Ba Chẽ": 1}
    assert dashboard["totals"] == {3: 1, 4: 1, 5: 1}
