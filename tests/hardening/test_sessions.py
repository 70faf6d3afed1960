"""Sessions end when people sign out.

Each sign-in is a server-side session record; its key is what the session cookie and the
remember-me cookie carry. Signing out ends that record (every copy of its cookies stops
working); a password change, "sign out everywhere" (account page) or an admin ends all
of an account's sessions and API tokens, except the one the request itself uses.
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from marketplace import create_app
from marketplace.accounts.models import User
from marketplace.accounts.services import issue_token
from marketplace.audit import AuditEntry
from tests import factories as f
from tests.conftest import IsolatedClient, new_client, signed_in


def with_cookie(app, name: str, value: str) -> IsolatedClient:
    """A fresh browser holding only a copy of one cookie (as a thief would)."""
    client = new_client(app)
    client.set_cookie(name, value, domain="localhost")
    return client


def me(client, **kwargs) -> int:
    return client.get("/api/v1/me", **kwargs).status_code


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_each_sign_in_gets_its_own_remember_me_cookie(app, db):
    user = f.user()
    first = signed_in(app, user, remember=True).get_cookie("remember_token").value
    second = signed_in(app, user, remember=True).get_cookie("remember_token").value
    assert first != second
    assert first.split("|")[0] != str(user.id)
    assert me(with_cookie(app, "remember_token", first)) == 200


def test_signing_out_ends_the_session_cookie_and_its_remember_me_cookie(app, db):
    user = f.user()
    client = signed_in(app, user, remember=True)
    session_cookie = client.get_cookie("session").value
    remember_cookie = client.get_cookie("remember_token").value
    assert me(with_cookie(app, "session", session_cookie)) == 200

    assert client.post("/api/v1/auth/logout").status_code == 204
    assert me(client) == 401
    assert me(with_cookie(app, "session", session_cookie)) == 401
    assert me(with_cookie(app, "remember_token", remember_cookie)) == 401


def test_signing_out_on_the_web_ends_the_session_too(app, db):
    user = f.user()
    client = new_client(app)
    assert client.post("/login", data={"email": user.email, "password": f.PASSWORD,
                                       "remember": "y"}).status_code in (302, 303)
    copies = {name: client.get_cookie(name).value for name in ("session", "remember_token")}
    assert client.post("/logout").status_code in (302, 303)
    for name, value in copies.items():
        assert me(with_cookie(app, name, value)) == 401, name


def test_signing_out_ends_only_that_session(app, db):
    user = f.user()
    phone, laptop = signed_in(app, user), signed_in(app, user)
    token = issue_token(user)
    assert phone.post("/api/v1/auth/logout").status_code == 204
    assert me(phone) == 401
    assert me(laptop) == 200
    assert me(new_client(app), headers=bearer(token)) == 200


def test_a_password_change_ends_every_other_session_and_token(app, db):
    user = f.user()
    here, elsewhere = signed_in(app, user, remember=True), signed_in(app, user, remember=True)
    stolen_remember = elsewhere.get_cookie("remember_token").value
    token = issue_token(user)

    wrong = here.post("/account/password", data={"current_password": "sai-mat-khau", "password": "mat-khau-moi-123",
                                                 "confirm": "mat-khau-moi-123"})
    assert wrong.status_code == 422
    assert me(elsewhere) == 200

    changed = here.post("/account/password", data={"current_password": f.PASSWORD, "password": "mat-khau-moi-123",
                                                   "confirm": "mat-khau-moi-123"})
    assert changed.status_code in (302, 303)
    assert me(here) == 200
    assert me(elsewhere) == 401
    assert me(with_cookie(app, "remember_token", stolen_remember)) == 401
    assert me(new_client(app), headers=bearer(token)) == 401
    assert f.login(new_client(app), user.email, "mat-khau-moi-123").status_code == 200
    assert f.login(new_client(app), user.email).status_code == 401


def test_sign_out_everywhere_from_the_account_page_keeps_only_this_session(app, db):
    user = f.user()
    here, elsewhere = signed_in(app, user), signed_in(app, user)
    token = issue_token(user)
    page = here.get("/account")
    assert page.status_code == 200
    assert 'id="sign-out-everywhere"' in page.get_data(as_text=True)

    assert here.post("/account/sign-out-everywhere").status_code in (302, 303)
    assert me(here) == 200
    assert me(elsewhere) == 401
    assert me(new_client(app), headers=bearer(token)) == 401


def test_an_admin_signs_any_account_out_everywhere(app, db):
    user, admin = f.user(), f.user("admin")
    victim_browser = signed_in(app, user, remember=True)
    token = issue_token(user)
    admin_client = signed_in(app, admin)
    listing = admin_client.get("/admin/users", query_string={"q": user.email})
    assert listing.status_code == 200 and f"user-{user.id}" in listing.get_data(as_text=True)

    assert admin_client.post(f"/admin/users/{user.id}/sign-out-everywhere").status_code in (302, 303)
    assert me(victim_browser) == 401
    assert me(new_client(app), headers=bearer(token)) == 401
    assert me(admin_client) == 200
    db.session.expire_all()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "account.sign_out_everywhere"))
    assert entry.object_id == str(user.id) and entry.actor_id == admin.id


def test_only_admins_sign_other_accounts_out(app, db):
    user, other = f.user(), f.user()
    other_client = signed_in(app, other)
    victim = signed_in(app, user)
    assert other_client.post(f"/admin/users/{user.id}/sign-out-everywhere").status_code == 403
    assert me(victim) == 200


def test_a_bare_user_id_in_the_session_signs_no_one_in(app, db):
    """What the old cookies carried: the user id (signed). It is no session key."""
    user = f.user()
    client = new_client(app)
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
    assert me(client) == 401


def test_a_disabled_account_loses_its_sessions(app, db):
    user = f.user()
    client = signed_in(app, user)
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert me(client) == 401


@pytest.fixture
def production_app(app, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    return create_app({key: app.config[key] for key in (
        "TESTING", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED", "RATELIMIT_ENABLED", "CACHE_ENABLED",
        "SEARCH_INDEX_DIR", "UPLOAD_DIR", "MAIL_OUTBOX_DIR", "SERVER_NAME")})


def test_production_session_and_remember_cookies_are_secure_http_only_lax(production_app, db):
    user = f.user()
    client = new_client(production_app)
    response = client.post("/api/v1/auth/login", json={"email": user.email, "password": f.PASSWORD,
                                                        "remember": True}, base_url="https://localhost")
    assert response.status_code == 200
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert set(cookies) >= {"session", "remember_token"}
    for name in ("session", "remember_token"):
        attributes = {a.strip().lower() for a in re.split(";", cookies[name])[1:]}
        assert {"secure", "httponly", "samesite=lax"} <= attributes, cookies[name]
