"""Accounts on the web: register, log in, log out (Flask-WTF forms, Flask-Login)."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.accounts.views import safe_next
from marketplace.extensions import limiter
from tests import factories as f

GOOD = {"full_name": "Nguyễn Thị Lan", "email": "Lan.Nguyen@Example.vn", "phone": "+84 912 345 678",
        "password": "tra-hoa-vang-2025", "confirm": "tra-hoa-vang-2025"}


def signed_in(web) -> bool:
    page = web.get("/products").get_data(as_text=True)
    return 'action="/logout"' in page


def users(db):
    db.session.rollback()
    return db.session.scalars(sa.select(User)).all()


def field_error(page: str, name: str) -> str | None:
    """The error shown under the input `name` (which is then marked invalid), or None."""
    match = re.search(rf'<input [^>]*name="{name}"[^>]*>\s*(?:<div class="invalid-feedback[^"]*">([^<]*)</div>)?', page)
    assert match, f"no input named {name}"
    if match.group(1) is not None:
        assert "is-invalid" in match.group(0)
    return match.group(1)


def csrf_token_of(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the form carries a CSRF token"
    return match.group(1)


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


# ---------------------------------------------------------------- register
def test_register_creates_a_signed_in_shopper(web, db):
    response = web.post("/register", data=GOOD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    [user] = users(db)
    assert (user.email, user.role, user.phone, user.full_name) == (
        "lan.nguyen@example.vn", "shopper", "0912345678", "Nguyễn Thị Lan")
    assert user.password_hash != GOOD["password"] and user.password_hash.startswith("scrypt:")
    assert "Chào mừng Nguyễn Thị Lan!" in web.get("/").get_data(as_text=True)
    assert signed_in(web)


def test_register_form_renders_all_fields(web, db):
    page = web.get("/register").get_data(as_text=True)
    for name in ("full_name", "email", "phone", "password", "confirm"):
        assert f'name="{name}"' in page
    assert "Tạo tài khoản" in page


@pytest.mark.parametrize("change, field, message", [
    ({"confirm": "something-else"}, "confirm", "Hai mật khẩu không khớp."),
    ({"phone": "12345"}, "phone", "Hãy nhập số điện thoại Việt Nam"),
    ({"password": "short", "confirm": "short"}, "password", "Mật khẩu cần ít nhất 8 ký tự."),
    ({"full_name": "  "}, "full_name", "Vui lòng nhập họ tên."),
    ({"email": "not-an-email"}, "email", "Hãy nhập địa chỉ email hợp lệ"),
])
def test_register_shows_errors_by_the_field_and_creates_nothing(web, db, change, field, message):
    response = web.post("/register", data={**GOOD, **change})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in (field_error(page, field) or "")
    others = [name for name in ("full_name", "email", "phone", "password", "confirm") if name != field]
    assert all(field_error(page, name) is None for name in others)
    assert users(db) == []
    assert not signed_in(web)


def test_register_with_a_taken_email_says_so_by_the_email_field(web, db):
    f.user(email="lan.nguyen@example.vn")
    response = web.post("/register", data=GOOD)  # same address, other case
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Email đã được đăng ký" in field_error(page, "email")
    assert len(users(db)) == 1


def test_register_keeps_a_local_next(web, db):
    response = web.post("/register?next=/cart", data=GOOD)
    assert response.headers["Location"] == "/cart"


# ---------------------------------------------------------------- login / logout
def test_login_then_logout(web, db):
    user = f.user(email="an@example.vn")
    response = web.post("/login", data={"email": "AN@example.vn", "password": f.PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert signed_in(web)
    db.session.rollback()
    assert db.session.get(User, user.id).last_login_at is not None

    response = web.post("/logout")
    assert response.status_code == 302
    assert not signed_in(web)


def test_login_sets_a_protected_session_cookie(web, db):
    f.user(email="an@example.vn")
    response = web.post("/login", data={"email": "an@example.vn", "password": f.PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(web, db):
    f.user(email="an@example.vn")
    for data in ({"email": "an@example.vn", "password": "wrong-password"},
                 {"email": "nobody@example.vn", "password": f.PASSWORD}):
        response = web.post("/login", data=data)
        assert response.status_code == 422
        assert "Email hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    assert not signed_in(web)


def test_a_deactivated_account_cannot_log_in(web, db):
    user = f.user(email="an@example.vn")
    user.active = False
    db.session.commit()
    response = web.post("/login", data={"email": "an@example.vn", "password": f.PASSWORD})
    assert response.status_code == 422 and not signed_in(web)


def test_login_follows_a_local_next(web, db):
    f.user(email="an@example.vn")
    response = web.post("/login?next=/products?stars=5", data={"email": "an@example.vn", "password": f.PASSWORD})
    assert response.headers["Location"] == "/products?stars=5"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
    "http:/evil.example", "/%0d%0aSet-Cookie:x=1".replace("%0d%0a", "\r\n"), "evil.example",
])
def test_login_refuses_to_redirect_off_site(web, db, target):
    f.user(email="an@example.vn")
    response = web.post("/login", query_string={"next": target},
                        data={"email": "an@example.vn", "password": f.PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_safe_next_accepts_only_site_paths():
    assert safe_next("/orders/ABC?x=1#top") == "/orders/ABC?x=1#top"
    for bad in (None, "", "//x.example", "https://x.example", "/\\x.example", "x.example", "/a\tb"):
        assert safe_next(bad) is None


def test_logout_is_post_only(web, db):
    user = f.user()
    f.login_as(web, user)
    assert web.get("/logout").status_code == 405
    assert signed_in(web)


def test_signed_in_users_are_sent_on_from_login_and_register(web, db):
    f.login_as(web, f.user())
    assert web.get("/login?next=/cart").headers["Location"] == "/cart"
    assert web.get("/register").headers["Location"] == "/"


# ---------------------------------------------------------------- CSRF
def test_forms_refuse_posts_without_a_csrf_token(web, db, csrf_on):
    f.user(email="an@example.vn")
    assert web.post("/login", data={"email": "an@example.vn", "password": f.PASSWORD}).status_code == 400
    assert web.post("/register", data=GOOD).status_code == 400
    assert not signed_in(web) and len(users(db)) == 1


def test_login_and_logout_work_with_the_form_token(web, db, csrf_on):
    f.user(email="an@example.vn")
    token = csrf_token_of(web.get("/login").get_data(as_text=True))
    response = web.post("/login", data={"email": "an@example.vn", "password": f.PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and signed_in(web)

    assert web.post("/logout").status_code == 400  # a forged logout does nothing
    assert signed_in(web)
    token = csrf_token_of(web.get("/products").get_data(as_text=True))
    assert web.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not signed_in(web)


def test_register_works_with_the_form_token(web, db, csrf_on):
    token = csrf_token_of(web.get("/register").get_data(as_text=True))
    assert web.post("/register", data={**GOOD, "csrf_token": token}).status_code == 302
    assert len(users(db)) == 1


# ---------------------------------------------------------------- rate limit
@pytest.fixture
def rate_limits_on(app):
    app.config.update(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    limiter.reset()
    yield
    app.config.update(RATELIMIT_ENABLED=False, LOGIN_RATE_LIMIT="10 per minute")
    limiter.reset()


def test_login_attempts_are_rate_limited(web, db, rate_limits_on):
    f.user(email="an@example.vn")
    for _ in range(3):
        assert web.post("/login", data={"email": "an@example.vn", "password": "guess-1234"}).status_code == 422
    blocked = web.post("/login", data={"email": "an@example.vn", "password": f.PASSWORD})
    assert blocked.status_code == 429
    assert "Quá nhiều lần thử" in blocked.get_data(as_text=True)
    assert "Retry-After" in blocked.headers
    assert web.get("/login").status_code == 200  # only attempts (POST) count
    assert not signed_in(web)
