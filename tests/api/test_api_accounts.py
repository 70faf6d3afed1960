"""POST /auth/register, /auth/login, /auth/logout, /auth/tokens, GET /auth/csrf and /me."""
from __future__ import annotations

import re

import pytest

from marketplace.accounts.models import ApiToken, User
from marketplace.accounts.services import issue_token
from marketplace.extensions import limiter
from tests import factories as f
from tests.api.envelope import error_of

NEW_USER = {"email": "Lan.Nguyen@Example.vn", "password": "mat-khau-du-dai", "full_name": "Nguyễn Thị Lan",
            "phone": "+84 912 345 678"}
USER_KEYS = {"id", "email", "full_name", "phone", "role", "producer_id", "created_at"}
GENERIC_401 = "Email hoặc mật khẩu không đúng"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --- register -----------------------------------------------------------------------------

def test_register_creates_a_shopper(client, db):
    response = client.post("/api/v1/auth/register", json=NEW_USER)
    assert response.status_code == 201, response.get_json()
    user = response.get_json()
    assert set(user) == USER_KEYS
    assert (user["email"], user["full_name"], user["phone"], user["role"], user["producer_id"]) == (
        "lan.nguyen@example.vn", "Nguyễn Thị Lan", "0912345678", "shopper", None)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", user["created_at"])
    stored = db.session.get(User, user["id"])
    assert stored.password_hash != NEW_USER["password"] and stored.role == "shopper"
    # Registering does not sign in.
    assert client.get("/api/v1/me").status_code == 401


def test_register_cannot_choose_a_role(client, db):
    error = error_of(client.post("/api/v1/auth/register", json={**NEW_USER, "role": "admin"}), 422)
    assert list(error["fields"]) == ["role"]
    assert db.session.query(User).count() == 0


@pytest.mark.parametrize("change, fields", [
    ({"email": "not-an-email"}, {"email"}),
    ({"password": "short"}, {"password"}),
    ({"full_name": "   "}, {"full_name"}),
    ({"phone": "12345"}, {"phone"}),
    ({"email": "x@", "password": "", "phone": "+1 555 0100"}, {"email", "password", "phone"}),
])
def test_register_rejects_invalid_input_with_fields(client, db, change, fields):
    error = error_of(client.post("/api/v1/auth/register", json={**NEW_USER, **change}), 422)
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == fields
    assert db.session.query(User).count() == 0


def test_register_requires_the_fields(client, db):
    error = error_of(client.post("/api/v1/auth/register", json={"phone": "0912345678"}), 422)
    assert set(error["fields"]) == {"email", "password", "full_name"}
    error_of(client.post("/api/v1/auth/register", data="{not json", content_type="application/json"), 400)


def test_register_with_a_taken_email_is_409_whatever_the_case(client, db):
    assert client.post("/api/v1/auth/register", json=NEW_USER).status_code == 201
    error = error_of(client.post("/api/v1/auth/register", json={**NEW_USER, "email": "LAN.NGUYEN@example.vn"}), 409)
    assert error["code"] == "email_taken" and list(error["fields"]) == ["email"]
    assert db.session.query(User).count() == 1


# --- login, me, logout ----------------------------------------------------------------------

def test_login_sets_the_session_cookie_and_me_answers(client, db):
    user = f.user(email="an@example.vn", full_name="Trần Văn An")
    assert error_of(client.get("/api/v1/me"), 401)["code"] == "unauthorized"
    response = f.login(client, "AN@example.vn")
    assert response.status_code == 200
    assert response.get_json()["id"] == user.id
    cookie = response.headers["Set-Cookie"]
    assert "session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.get_json() == {"id": user.id, "email": "an@example.vn", "full_name": "Trần Văn An",
                             "phone": "0912345678", "role": "shopper", "producer_id": None,
                             "created_at": me.get_json()["created_at"]}
    db.session.expire_all()
    assert db.session.get(User, user.id).last_login_at is not None


def test_me_shows_a_sellers_producer(client, db):
    producer = f.producer()
    seller = f.user(role="seller", producer_id=producer.id)
    f.login_as(client, seller)
    assert client.get("/api/v1/me").get_json()["producer_id"] == producer.id
    assert client.get("/api/v1/me").get_json()["role"] == "seller"


def test_wrong_credentials_get_one_generic_401(client, db):
    f.user(email="an@example.vn")
    wrong_password = error_of(f.login(client, "an@example.vn", "sai-mat-khau"), 401)
    unknown_email = error_of(f.login(client, "ai-do@example.vn"), 401)
    assert wrong_password == unknown_email == {"code": "invalid_credentials", "message": GENERIC_401}
    assert client.get("/api/v1/me").status_code == 401
    assert set(error_of(client.post("/api/v1/auth/login", json={}), 422)["fields"]) == {"email", "password"}


def test_a_disabled_account_cannot_sign_in(client, db):
    user = f.user(email="an@example.vn")
    user.active = False
    db.session.commit()
    assert error_of(f.login(client, "an@example.vn"), 401)["message"] == GENERIC_401


def test_logout_ends_the_session(client, db):
    f.user(email="an@example.vn")
    f.login(client, "an@example.vn")
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 204 and response.get_data() == b""
    assert client.get("/api/v1/me").status_code == 401
    assert client.post("/api/v1/auth/logout").status_code == 204  # signing out twice is fine


# --- tokens -----------------------------------------------------------------------------------

def test_a_token_authenticates_me_until_it_is_revoked(client, other_client, db):
    user = f.user(email="an@example.vn")
    response = client.post("/api/v1/auth/tokens", json={"email": "an@example.vn", "password": f.PASSWORD,
                                                       "name": "điện thoại"})
    assert response.status_code == 201
    token = response.get_json()["token"]
    assert set(response.get_json()) == {"token"}
    stored = db.session.query(ApiToken).one()
    assert stored.token_hash != token and stored.name == "điện thoại"  # only a digest is kept

    other = other_client  # no cookie at all
    me = other.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200 and me.get_json()["id"] == user.id
    assert "Set-Cookie" not in me.headers

    assert other.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    assert error_of(other.get("/api/v1/me", headers=bearer(token)), 401)["code"] == "unauthorized"


def test_a_token_stops_working_when_its_account_is_disabled(other_client, db):
    user = f.user(email="an@example.vn")
    token = issue_token(user, "app")
    assert other_client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    user.active = False
    db.session.commit()
    assert error_of(other_client.get("/api/v1/me", headers=bearer(token)), 401)["code"] == "unauthorized"


def test_unknown_tokens_and_bad_credentials_are_401(client, db):
    f.user(email="an@example.vn")
    assert error_of(client.get("/api/v1/me", headers=bearer("ocop_not-a-real-token")), 401)
    assert error_of(client.get("/api/v1/me", headers={"Authorization": "Bearer "}), 401)
    error = error_of(client.post("/api/v1/auth/tokens", json={"email": "an@example.vn", "password": "sai"}), 401)
    assert error["message"] == GENERIC_401
    assert db.session.query(ApiToken).count() == 0


def test_a_bearer_token_wins_over_the_session_cookie(client, db):
    f.user(email="an@example.vn")
    f.login(client, "an@example.vn")
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me", headers=bearer("ocop_unknown")).status_code == 401


# --- rate limit ---------------------------------------------------------------------------------

@pytest.fixture
def rate_limits(app):
    app.config.update(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    limiter.reset()
    yield
    app.config.update(RATELIMIT_ENABLED=False, LOGIN_RATE_LIMIT="10 per minute")
    limiter.reset()


def test_sign_in_attempts_are_rate_limited(client, db, rate_limits):
    f.user(email="an@example.vn")
    for _ in range(2):
        assert f.login(client, "an@example.vn", "sai-mat-khau").status_code == 401
    # tokens share the budget of sign-in attempts
    assert client.post("/api/v1/auth/tokens", json={"email": "an@example.vn", "password": "sai"}).status_code == 401
    limited = f.login(client, "an@example.vn")  # even the right password now waits
    error = error_of(limited, 429)
    assert error["code"] == "rate_limited"
    assert error["message"] == "Quá nhiều lần đăng nhập, vui lòng thử lại sau"
    assert limited.headers.get("Retry-After")
    assert error_of(client.post("/api/v1/auth/tokens", json={"email": "an@example.vn", "password": f.PASSWORD}),
                    429)["code"] == "rate_limited"
    # other endpoints are not limited
    assert client.get("/api/v1/products").status_code == 200


def test_rate_limits_are_off_unless_enabled(client, db):
    f.user(email="an@example.vn")
    for _ in range(12):
        assert f.login(client, "an@example.vn", "sai-mat-khau").status_code == 401


# --- CSRF ---------------------------------------------------------------------------------------

@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def test_cookie_requests_need_the_csrf_token(client, db, csrf_on):
    f.user(email="an@example.vn")
    token = client.get("/api/v1/auth/csrf").get_json()["csrf_token"]  # the client now has a cookie
    error = error_of(f.login(client, "an@example.vn"), 400)
    assert error == {"code": "csrf_failed", "message": "Thiếu hoặc sai mã CSRF."}

    signed_in = client.post("/api/v1/auth/login", json={"email": "an@example.vn", "password": f.PASSWORD},
                            headers={"X-CSRFToken": token})
    assert signed_in.status_code == 200
    assert error_of(client.post("/api/v1/auth/logout"), 400)["code"] == "csrf_failed"
    assert error_of(client.post("/api/v1/auth/logout", headers={"X-CSRFToken": "forged"}), 400)["code"] == "csrf_failed"
    assert client.get("/api/v1/me").status_code == 200  # still signed in
    assert client.post("/api/v1/auth/logout", headers={"X-CSRFToken": token}).status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_bearer_requests_and_token_creation_need_no_csrf_token(other_client, db, csrf_on):
    f.user(email="an@example.vn")
    api_client = other_client
    response = api_client.post("/api/v1/auth/tokens", json={"email": "an@example.vn", "password": f.PASSWORD})
    assert response.status_code == 201
    token = response.get_json()["token"]
    assert api_client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    assert api_client.get("/api/v1/me", headers=bearer(token)).status_code == 401
