"""Joining: a producer registers with its first member, waits for approval, invites members."""
from __future__ import annotations

import re

import sqlalchemy as sa

from tests import factories
from marketplace.accounts.models import User
from marketplace.catalog.models import Producer
from seller_samples import mail_text, outbox

JOIN = {
    "name": "HTX Miến dong Bình Liêu", "kind": "cooperative", "tax_code": "5701234567",
    "address": "Thôn Nà Ếch", "phone": "0912 345 678", "email": "htx@example.vn",
    "description": "Miến dong đặc sản", "full_name": "Hoàng Thị Lan", "member_email": "Lan@Example.vn",
    "member_phone": "0987654321", "password": "mat-khau-rat-dai",
}


def test_a_producer_joins_with_its_first_member_and_waits_for_approval(client, db):
    loc = factories.locality("Bình Liêu", "Bình Liêu")
    response = client.post("/seller/join", data={**JOIN, "locality_id": loc.id})
    assert response.status_code == 302 and response.headers["Location"].endswith("/seller/")

    producer = db.session.scalar(sa.select(Producer))
    assert (producer.name, producer.kind, producer.tax_code, producer.locality_id) == (
        "HTX Miến dong Bình Liêu", "cooperative", "5701234567", loc.id)
    assert producer.phone == "0912345678" and producer.approved is False and not producer.can_sell
    member = db.session.scalar(sa.select(User))
    assert (member.email, member.role, member.producer_id) == ("lan@example.vn", "seller", producer.id)

    # Signed in right away; the portal says approval is pending.
    page = client.get("/seller/")
    assert page.status_code == 200
    assert "approval" in page.get_data(as_text=True) or "duyệt" in page.get_data(as_text=True)


def test_joining_reports_every_invalid_field_and_creates_nothing(client, db):
    existing = factories.producer()
    response = client.post("/seller/join", data={**JOIN, "tax_code": existing.tax_code, "locality_id": "",
                                                 "phone": "12345", "password": "short", "member_email": "x"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    # a tax code another producer claims is no error (see test_tax_code_claims.py)
    assert "already registered" not in body and 'is-invalid" id="f-tax_code"' not in body
    assert "Số điện thoại Việt Nam không hợp lệ" in body
    assert "Mật khẩu cần ít nhất 8 ký tự" in body
    assert 'is-invalid" id="f-member_email"' in body
    assert db.session.scalar(sa.select(sa.func.count(Producer.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_a_malformed_tax_code_is_refused(client, db):
    loc = factories.locality()
    response = client.post("/seller/join", data={**JOIN, "tax_code": "57-0123", "locality_id": loc.id})
    assert response.status_code == 422
    assert "Mã số thuế phải có 10 chữ số hoặc dạng 10-3" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Producer.id))) == 0


def test_a_member_invites_a_colleague_who_sets_a_password_and_joins(client, other_client, app, db, seller):
    factories.login_as(client, seller.user)
    response = client.post("/seller/members", data={"email": "Thu@Example.vn"})
    assert response.status_code == 302

    message = outbox(app)[-1]
    assert message["To"] == "thu@example.vn"
    mail = mail_text(message)
    token = re.search(r"/seller/invitations/([A-Za-z0-9_.\-]+)", mail).group(1)

    guest = other_client
    assert guest.get(f"/seller/invitations/{token}").status_code == 200
    joined = guest.post(f"/seller/invitations/{token}", data={"full_name": "Đặng Thu", "password": "mat-khau-123"})
    assert joined.status_code == 302
    colleague = db.session.scalar(sa.select(User).where(User.email == "thu@example.vn"))
    assert (colleague.role, colleague.producer_id) == ("seller", seller.producer.id)
    assert guest.get("/seller/products").status_code == 200

    # The link works once.
    guest.post("/logout")
    again = guest.post(f"/seller/invitations/{token}", data={"full_name": "X", "password": "mat-khau-123"})
    assert again.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.producer_id == seller.producer.id)) == 2


def test_a_forged_or_expired_invitation_is_refused(client, app, db, seller):
    from marketplace.seller import members

    assert client.get("/seller/invitations/not-a-token").status_code == 404
    with app.test_request_context():
        token = members.invite_member(seller.producer.id, seller.user, "new@example.vn")
    app.config["INVITATION_MAX_AGE_S"], saved = -1, app.config["INVITATION_MAX_AGE_S"]
    try:
        response = client.post(f"/seller/invitations/{token}", data={"full_name": "X", "password": "mat-khau-123"})
    finally:
        app.config["INVITATION_MAX_AGE_S"] = saved
    assert response.status_code == 404
    assert db.session.scalar(sa.select(User).where(User.email == "new@example.vn")) is None


def test_the_portal_needs_a_seller(client, db):
    anonymous = client.get("/seller/products")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert client.get("/api/v1/seller/products").status_code == 401
    shopper = factories.user("shopper")
    factories.login_as(client, shopper)
    assert client.get("/seller/products").status_code == 403
