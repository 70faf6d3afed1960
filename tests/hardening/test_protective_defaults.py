"""Protective defaults: headers, cookies, sizes, rate limits, production settings, errors, logs."""
from __future__ import annotations

import logging
import re

import pytest

from marketplace.config import Config
from marketplace.extensions import limiter
from tests import factories
from tests.factories import checkout_body

PAGES = ["/", "/products", "/login", "/register", "/cart", "/api/v1/docs/"]


# --- headers --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES + ["/api/v1/products"])
def test_every_answer_carries_the_security_headers(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert csp["object-src"] == "'none'" and csp["frame-ancestors"] == "'none'"
    assert "Strict-Transport-Security" not in headers  # plain HTTP: HSTS would be ignored anyway


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script(client, db, path):
    """The CSP forbids inline scripts, so a page that had one would break: none has."""
    factories.product("Trà hoa vàng")
    html = client.get(path).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> block"
    assert not re.search(r"\son[a-z]+\s*=\s*[\"']", html), "inline event handler attribute"
    assert "javascript:" not in html


def test_hsts_is_sent_over_https(client, db):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


# --- cookies --------------------------------------------------------------------------------

def test_the_session_cookie_is_http_only_and_same_site(client, db):
    factories.user(email="lan@example.vn")
    response = factories.login(client, "lan@example.vn")
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure_and_need_a_real_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        Config(str(tmp_path)).check()
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(RuntimeError, match="at least 32 characters"):
        Config(str(tmp_path)).check()
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    config = Config(str(tmp_path))
    config.check()
    assert config.SESSION_COOKIE_SECURE is True
    assert config.SESSION_COOKIE_HTTPONLY is True and config.REMEMBER_COOKIE_HTTPONLY is True


def test_rate_limits_are_shared_through_redis_when_configured(monkeypatch, tmp_path):
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert Config(str(tmp_path)).RATELIMIT_STORAGE_URI == "memory://"
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/0")
    assert Config(str(tmp_path)).RATELIMIT_STORAGE_URI == "redis://cache.internal:6379/0"


# --- sizes ----------------------------------------------------------------------------------

@pytest.fixture
def small_bodies(app):
    saved = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 4096
    yield
    app.config["MAX_CONTENT_LENGTH"] = saved


def test_the_default_request_size_limit_is_set():
    assert 0 < Config("/tmp").MAX_CONTENT_LENGTH <= 16 * 1024 * 1024


def test_a_body_over_the_limit_is_413_and_writes_nothing(client, db, small_bodies):
    big = {"email": "an@example.vn", "password": "mat-khau-123", "full_name": "x" * 10_000, "phone": "0912345678"}
    response = client.post("/api/v1/auth/register", json=big)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    page = client.post("/register", data={"full_name": "x" * 10_000})
    assert page.status_code == 413
    from marketplace.accounts.models import User

    assert db.session.query(User).count() == 0


# --- rate limits ----------------------------------------------------------------------------

@pytest.fixture
def tight_limits(app):
    names = ("REGISTER_RATE_LIMIT", "CHECKOUT_RATE_LIMIT", "WEBHOOK_RATE_LIMIT")
    saved = {name: app.config[name] for name in names}
    app.config.update(RATELIMIT_ENABLED=True, **{name: "2 per minute" for name in names})
    limiter.reset()
    yield
    app.config.update(RATELIMIT_ENABLED=False, **saved)
    limiter.reset()


def _register(client, n: int):
    return client.post("/api/v1/auth/register", json={"email": f"khach{n}@example.vn", "password": "mat-khau-123",
                                                      "full_name": "Khách", "phone": "0912345678"})


def test_registration_is_rate_limited_across_web_and_api(client, db, tight_limits):
    assert _register(client, 1).status_code == 201
    assert client.post("/register", data={}).status_code == 422  # the web form shares the budget
    limited = _register(client, 2)
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert limited.headers.get("Retry-After")
    assert client.get("/register").status_code == 200  # only POSTs count


def test_checkout_is_rate_limited(client, db, tight_limits):
    product = factories.product("Trà hoa vàng", stock=50)
    for _ in range(2):
        assert client.post("/api/v1/checkout", json=checkout_body([(product, 1)])).status_code == 201
    limited = client.post("/api/v1/checkout", json=checkout_body([(product, 1)]))
    assert limited.status_code == 429 and limited.get_json()["error"]["code"] == "rate_limited"
    assert client.post("/checkout", data={}).status_code == 429  # the web form shares the budget


def test_webhooks_are_rate_limited(client, db, tight_limits):
    for _ in range(2):
        assert client.post("/payments/sepay/webhook", data="{}").status_code in (401, 403)
    assert client.post("/payments/casso/webhook", data="{}").status_code == 429


# --- errors and logs ------------------------------------------------------------------------

@pytest.fixture
def crashing_categories(app, monkeypatch):
    """A bug in a view: the categories API and the home page raise."""
    def broken():
        raise RuntimeError("secret internals: /srv/app/db.py line 42")

    monkeypatch.setattr("marketplace.api.catalog.category_tree", broken)
    monkeypatch.setattr("marketplace.catalog.views.category_tree", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield
    app.config["PROPAGATE_EXCEPTIONS"] = None


def test_a_crash_shows_no_stack_trace(client, db, crashing_categories, caplog):
    api = client.get("/api/v1/categories")
    assert api.status_code == 500
    assert api.get_json() == {"error": {"code": "server_error", "message": "Lỗi máy chủ"}}
    page = client.get("/")
    assert page.status_code == 500
    for text in (api.get_data(as_text=True), page.get_data(as_text=True)):
        assert "Traceback" not in text and "secret internals" not in text and "RuntimeError" not in text
    assert "secret internals" in caplog.text  # the log keeps it for the operators


def test_debug_is_off_by_default(monkeypatch, tmp_path):
    from marketplace import create_app

    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).debug is False


def test_passwords_and_personal_data_stay_out_of_the_logs(client, other_client, db, caplog):
    password, email, phone = "Bi-mat-khong-ai-biet-9", "nguyen.lan@example.vn", "0987654321"
    caplog.set_level(logging.DEBUG)
    assert client.post("/api/v1/auth/register", json={"email": email, "password": password,
                                                      "full_name": "Nguyễn Thị Lan", "phone": phone}).status_code == 201
    client.post("/api/v1/auth/logout")
    assert client.post("/api/v1/auth/login", json={"email": email, "password": "sai-" + password}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"email": email, "password": password}).status_code == 200
    assert client.post("/api/v1/auth/tokens", json={"email": email, "password": password}).status_code == 201
    assert other_client.post("/login", data={"email": email, "password": "sai-" + password}).status_code in (200, 422)
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    for secret in (password, email, phone):
        assert secret not in logged
