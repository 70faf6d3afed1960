"""The account page and API: profile (name, phone), sign out everywhere from the API,
sessions that lapse after SESSION_MAX_AGE_DAYS and their purge, where a seller lands."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User, UserSession
from marketplace.accounts.services import issue_token
from marketplace.timeutil import utcnow
from tests import factories as f
from tests.conftest import new_client, signed_in


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def reload(db, user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


# ---- profile -------------------------------------------------------------------------------------

def test_patch_me_changes_name_and_phone_only(app, db):
    user = f.user(phone="0912345678")
    client = signed_in(app, user)
    changed = client.patch("/api/v1/me", json={"full_name": "  Trần Thị Mai ", "phone": "+84 987 654 321"})
    assert changed.status_code == 200, changed.json
    assert (changed.json["full_name"], changed.json["phone"]) == ("Trần Thị Mai", "0987654321")
    assert (reload(db, user).full_name, reload(db, user).phone) == ("Trần Thị Mai", "0987654321")

    assert client.patch("/api/v1/me", json={"phone": None}).json["phone"] is None
    for body in ({"role": "admin"}, {"email": "other@example.vn"}, {"producer_id": 1}):
        assert client.patch("/api/v1/me", json=body).status_code == 422
    bad = client.patch("/api/v1/me", json={"full_name": "", "phone": "12345"})
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) == {"full_name", "phone"}
    assert client.patch("/api/v1/me", json={"full_name": "A\u202eB"}).status_code == 422
    user = reload(db, user)
    assert (user.full_name, user.phone, user.role, user.email.startswith("user")) == ("Trần Thị Mai", None,
                                                                                     "shopper", True)
    assert new_client(app).patch("/api/v1/me", json={"full_name": "X"}).status_code == 401


def test_the_account_page_saves_the_profile(app, db):
    user = f.user()
    client = signed_in(app, user)
    page = client.get("/account").get_data(as_text=True)
    assert 'action="/account/profile"' in page and user.full_name in page
    saved = client.post("/account/profile", data={"full_name": "Lê Văn Hùng", "phone": "0903 123 456"})
    assert saved.status_code in (302, 303)
    assert (reload(db, user).full_name, reload(db, user).phone) == ("Lê Văn Hùng", "0903123456")
    refused = client.post("/account/profile", data={"full_name": "Lê Văn Hùng", "phone": "999"})
    assert refused.status_code == 422 and "0912 345 678" in refused.get_data(as_text=True)
    assert reload(db, user).phone == "0903123456"


# ---- sign out everywhere from the API ---------------------------------------------------------

def test_the_api_signs_out_everywhere_else_keeping_the_bearer_token_used(app, db):
    user = f.user()
    keep, other = issue_token(user), issue_token(user)
    cookie = signed_in(app, user, remember=True)
    answer = new_client(app).post("/api/v1/me/sessions/revoke", headers=bearer(keep))
    assert answer.status_code == 200 and answer.json == {"sessions_ended": 1, "tokens_ended": 1}
    assert new_client(app).get("/api/v1/me", headers=bearer(keep)).status_code == 200
    assert new_client(app).get("/api/v1/me", headers=bearer(other)).status_code == 401
    assert cookie.get("/api/v1/me").status_code == 401


def test_the_api_signs_out_everywhere_else_keeping_the_session_used(app, db):
    user = f.user()
    token = issue_token(user)
    here, elsewhere = signed_in(app, user), signed_in(app, user)
    answer = here.post("/api/v1/me/sessions/revoke")
    assert answer.status_code == 200 and answer.json == {"sessions_ended": 1, "tokens_ended": 1}
    assert here.get("/api/v1/me").status_code == 200
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert new_client(app).get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert new_client(app).post("/api/v1/me/sessions/revoke").status_code == 401


# ---- sessions lapse and are purged ------------------------------------------------------------

@pytest.fixture
def max_age(app):
    saved = app.config["SESSION_MAX_AGE_DAYS"]
    app.config["SESSION_MAX_AGE_DAYS"] = 30
    yield 30
    app.config["SESSION_MAX_AGE_DAYS"] = saved


def age_sessions(db, user, days: int) -> None:
    db.session.execute(sa.update(UserSession).where(UserSession.user_id == user.id)
                       .values(created_at=utcnow() - timedelta(days=days)))
    db.session.commit()


def test_a_session_older_than_the_maximum_age_signs_no_one_in(app, db, max_age):
    user = f.user()
    client = signed_in(app, user, remember=True)
    remember = client.get_cookie("remember_token")
    assert client.get("/api/v1/me").status_code == 200
    age_sessions(db, user, max_age - 1)
    assert client.get("/api/v1/me").status_code == 200
    age_sessions(db, user, max_age + 1)
    assert client.get("/api/v1/me").status_code == 401
    thief = new_client(app)
    thief.set_cookie("remember_token", remember.value, domain="localhost")
    assert thief.get("/api/v1/me").status_code == 401


def test_the_remember_me_cookie_lasts_the_maximum_age(app, db):
    client = signed_in(app, f.user(), remember=True)
    cookie = client.get_cookie("remember_token")
    lifetime = cookie.expires - utcnow().replace(tzinfo=None) if cookie.expires.tzinfo is None else \
        cookie.expires - utcnow()
    days = app.config["SESSION_MAX_AGE_DAYS"]
    assert timedelta(days=days) - timedelta(minutes=5) < lifetime <= timedelta(days=days)


def test_purge_sessions_deletes_revoked_and_lapsed_records_with_progress(app, db, max_age):
    live_user, old_user, gone_user = f.user(), f.user(), f.user()
    live = signed_in(app, live_user)
    for _ in range(3):
        signed_in(app, old_user)
    age_sessions(db, old_user, max_age + 2)
    gone = signed_in(app, gone_user)
    assert gone.post("/api/v1/auth/logout").status_code == 204

    result = app.test_cli_runner().invoke(args=["users", "purge-sessions", "--batch", "2"])

    assert result.exit_code == 0, result.output
    assert "phiên đăng nhập: đã xoá 2/4" in result.output and "phiên đăng nhập: đã xoá 4/4" in result.output
    assert "Đã xoá 4 phiên đăng nhập hết hạn hoặc bị thu hồi" in result.output
    db.session.expire_all()
    left = db.session.scalars(sa.select(UserSession.user_id)).all()
    assert left == [live_user.id]
    assert live.get("/api/v1/me").status_code == 200
    again = app.test_cli_runner().invoke(args=["users", "purge-sessions"])
    assert "Đã xoá 0 " in again.output


# ---- where a seller lands --------------------------------------------------------------------

def test_a_seller_signing_in_on_the_web_lands_on_the_seller_portal(app, db):
    seller = f.seller_of("HTX Chè Đường Hoa")
    shopper = f.user()
    for user, landing in ((seller.user, "/seller/"), (shopper, "/")):
        answer = new_client(app).post("/login", data={"email": user.email, "password": f.PASSWORD})
        assert answer.status_code in (302, 303) and answer.headers["Location"] == landing, answer.headers
    asked = new_client(app).post("/login?next=/orders", data={"email": seller.user.email, "password": f.PASSWORD})
    assert asked.headers["Location"] == "/orders"
