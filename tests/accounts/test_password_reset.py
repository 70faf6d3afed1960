"""Password reset by email, through the outbox and a real SMTP server on loopback: the same
answer for any address, a single-use link that expires after 60 minutes, every session
and API token ended, rate limited."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from marketplace.accounts.models import PasswordResetToken
from marketplace.accounts.services import authenticate, issue_token
from marketplace.timeutil import utcnow
from tests import factories as f
from tests.conftest import new_client, rate_limits_on
from tests.smtp_inbox import smtp  # noqa: F401 - the fixture

NEW = "mat-khau-moi-2025"


def link_in(smtp, address: str) -> str:
    [message] = smtp.to(address)
    assert "Đặt lại mật khẩu" in message["Subject"]  # the account's language: Vietnamese by default
    text = smtp.text(message)
    assert "60 phút" in text and "60 minutes" not in text
    return re.search(r"https?://\S+/account/password-reset/(\S+)", text).group(0)


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_the_answer_is_the_same_for_any_address_and_only_an_account_gets_mail(app, db, smtp):
    user = f.user(email="lan@example.vn")
    known = new_client(app).post("/account/password-reset", data={"email": "LAN@example.vn"})
    unknown = new_client(app).post("/account/password-reset", data={"email": "nobody@example.vn"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda r, e: r.get_data(as_text=True).replace(e, "").split('name="csrf-token"')[0]  # noqa: E731
    assert 'id="password-reset-sent"' in known.get_data(as_text=True)
    assert strip(known, "LAN@example.vn") == strip(unknown, "nobody@example.vn")

    api_known = new_client(app).post("/api/v1/auth/password-reset", json={"email": user.email})
    api_unknown = new_client(app).post("/api/v1/auth/password-reset", json={"email": "nobody@example.vn"})
    assert api_known.status_code == api_unknown.status_code == 202
    assert api_known.json == api_unknown.json
    assert [rcpts for rcpts, _ in smtp.messages] == [["lan@example.vn"], ["lan@example.vn"]]
    assert smtp.to("nobody@example.vn") == []


def test_the_link_sets_a_new_password_once_and_ends_every_session(app, db, smtp):
    user = f.user(email="minh@example.vn")
    elsewhere = new_client(app)
    assert f.login(elsewhere, user.email).status_code == 200
    token = issue_token(user)
    new_client(app).post("/account/password-reset", data={"email": user.email})
    link = link_in(smtp, user.email)
    stored = db.session.scalars(sa.select(PasswordResetToken.token_hash)).all()
    assert token_of(link) not in stored and len(stored) == 1  # only the digest is kept

    path = link.split("://", 1)[1].split("/", 1)[1]
    page = new_client(app).get("/" + path)
    assert page.status_code == 200 and 'autocomplete="new-password"' in page.get_data(as_text=True)
    short = new_client(app).post("/" + path, data={"password": "ngan", "confirm": "ngan"})
    assert short.status_code == 422
    done = new_client(app).post("/" + path, data={"password": NEW, "confirm": NEW})
    assert done.status_code in (302, 303) and done.headers["Location"].endswith("/login")
    db.session.expire_all()

    assert authenticate(user.email, NEW) is not None and authenticate(user.email, f.PASSWORD) is None
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert new_client(app).get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    again = new_client(app).post("/" + path, data={"password": "mot-mat-khau-khac", "confirm": "mot-mat-khau-khac"})
    assert again.status_code == 404 and authenticate(user.email, NEW) is not None
    api_again = new_client(app).post("/api/v1/auth/password-reset/confirm",
                                  json={"token": token_of(link), "password": "mot-mat-khau-khac"})
    assert api_again.status_code == 422 and api_again.json["error"]["code"] == "invalid_token"


def test_the_api_resets_with_the_token_and_a_link_expires_after_60_minutes(app, db, smtp):
    user = f.user(email="hoa@example.vn")
    assert new_client(app).post("/api/v1/auth/password-reset", json={"email": user.email}).status_code == 202
    token = token_of(link_in(smtp, user.email))
    record = db.session.scalars(sa.select(PasswordResetToken)).one()
    assert timedelta(minutes=59) < record.expires_at - record.created_at <= timedelta(minutes=60)

    db.session.execute(sa.update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    expired = new_client(app).post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW})
    assert expired.status_code == 422 and expired.json["error"]["code"] == "invalid_token"
    assert new_client(app).get(f"/account/password-reset/{token}").status_code == 404

    db.session.execute(sa.update(PasswordResetToken).values(expires_at=utcnow() + timedelta(minutes=5)))
    db.session.commit()
    short = new_client(app).post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "1234567"})
    assert short.status_code == 422 and "password" in short.json["error"]["fields"]
    done = new_client(app).post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW})
    assert done.status_code == 204 and authenticate(user.email, NEW) is not None
    for junk in ("", "pr_" + "x" * 43, "a\x00b", "x" * 101):
        assert new_client(app).post("/api/v1/auth/password-reset/confirm",
                                 json={"token": junk, "password": NEW}).status_code in (400, 422)


def test_a_newer_reset_spends_the_older_links_and_mails_are_capped_per_hour(app, db, smtp):
    user = f.user(email="tuan@example.vn")
    for _ in range(5):
        assert new_client(app).post("/api/v1/auth/password-reset", json={"email": user.email}).status_code == 202
    assert len(smtp.to(user.email)) == app.config["PASSWORD_RESET_MAILS_PER_HOUR"] == 3
    tokens = [re.search(r"/account/password-reset/(\S+)", smtp.text(m)).group(1) for m in smtp.to(user.email)]
    assert new_client(app).post("/api/v1/auth/password-reset/confirm",
                             json={"token": tokens[1], "password": NEW}).status_code == 204
    for other in (tokens[0], tokens[2]):
        assert new_client(app).post("/api/v1/auth/password-reset/confirm",
                                 json={"token": other, "password": "khac-han-2025"}).status_code == 422


def test_reset_requests_share_one_budget_per_client_address(app, db):
    client = new_client(app)
    with rate_limits_on(app, PASSWORD_RESET_RATE_LIMIT="3 per hour"):
        answers = [client.post("/account/password-reset", data={"email": "a@example.vn"}).status_code,
                   client.post("/api/v1/auth/password-reset", json={"email": "b@example.vn"}).status_code,
                   client.post("/account/password-reset", data={"email": "c@example.vn"}).status_code,
                   client.post("/api/v1/auth/password-reset", json={"email": "d@example.vn"}).status_code]
    assert answers == [200, 202, 200, 429]
