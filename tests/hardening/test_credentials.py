"""Which credential a request uses decides its authentication and its CSRF check.

- `Authorization: Bearer`: that token alone. Unknown or revoked: 401. Valid: the
  session and remember-me cookies are ignored (no session cart, no guest orders).
- The session or remember-me cookie: CSRF-checked.
- Neither (a mobile app): not CSRF-checked, but a JSON endpoint takes only JSON (415).
  Web forms keep their CSRF token even without a cookie (no login CSRF).
"""
from __future__ import annotations

import pytest

from marketplace.accounts.services import issue_token
from marketplace.orders.models import Order
from tests import factories as f
from tests.conftest import new_client
from tests.factories import checkout, checkout_body


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def guest_order_with_session(client, db):
    """A guest places an order in a browser: the session cookie remembers its code."""
    item = f.product(stock=5)
    placed = checkout(client, [(item, 1)])
    assert placed.status_code == 201, placed.get_json()
    code = placed.get_json()["order"]["code"]
    assert client.get(f"/api/v1/orders/{code}").status_code == 200  # the session opens it
    return code


def order_status(db, code: str) -> str:
    db.session.expire_all()
    return db.session.query(Order).filter_by(code=code).one().status


# --- Bearer ------------------------------------------------------------------------------

def test_a_junk_bearer_token_with_a_guests_cookie_is_401_and_cancels_nothing(app, client, db, csrf_on):
    code = guest_order_with_session(client, db)
    response = client.post(f"/api/v1/orders/{code}/cancel", json={"reason": "giả mạo"},
                           headers=bearer("junk"))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert order_status(db, code) == "pending_payment"


@pytest.mark.parametrize("path", ["/api/v1/products", "/api/v1/me", "/"])
def test_an_unknown_or_revoked_token_is_401_everywhere(app, db, path):
    user = f.user()
    token = issue_token(user)
    client = new_client(app, cookies=False)
    assert client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204  # revoked
    assert client.get(path, headers=bearer(token)).status_code == 401
    assert client.get(path, headers=bearer("ocop_not-a-token")).status_code == 401


def test_a_valid_token_ignores_the_session_cookie(app, client, db, csrf_on):
    code = guest_order_with_session(client, db)
    basket_item = f.product(stock=5)
    client.get("/api/v1/auth/csrf")
    csrf = client.get("/api/v1/auth/csrf").get_json()["csrf_token"]
    added = client.post("/api/v1/cart/items", json={"product_id": basket_item.id, "quantity": 2},
                        headers={"X-CSRFToken": csrf})
    assert added.status_code == 201 and added.get_json()["item_count"] == 2
    shopper = f.user()
    token = issue_token(shopper)

    # Same browser cookies, plus the shopper's token: the guest's order and cart are not theirs.
    assert client.get(f"/api/v1/orders/{code}", headers=bearer(token)).status_code == 404
    cancel = client.post(f"/api/v1/orders/{code}/cancel", json={"reason": "x"}, headers=bearer(token))
    assert cancel.status_code == 404
    assert order_status(db, code) == "pending_payment"
    assert client.get("/api/v1/cart", headers=bearer(token)).get_json()["item_count"] == 0
    # and the token's answers never write to the browser's cookies
    response = client.get("/api/v1/cart", headers=bearer(token))
    assert "Set-Cookie" not in response.headers
    assert client.get("/api/v1/cart").get_json()["item_count"] == 2


def test_a_valid_token_wins_over_someone_elses_remember_me_cookie(app, db):
    browser_user, app_user = f.user(), f.user()
    browser = new_client(app)
    signed_in = browser.post("/api/v1/auth/login", json={"email": browser_user.email, "password": f.PASSWORD,
                                                         "remember": True})
    assert signed_in.status_code == 200
    remember = browser.get_cookie("remember_token")
    assert remember is not None

    client = new_client(app)
    client.set_cookie("remember_token", remember.value, domain="localhost")
    assert client.get("/api/v1/me").get_json()["id"] == browser_user.id
    me = client.get("/api/v1/me", headers=bearer(issue_token(app_user)))
    assert me.status_code == 200 and me.get_json()["id"] == app_user.id


# --- cookieless clients --------------------------------------------------------------------

def test_a_cookieless_app_signs_up_signs_in_and_buys_without_a_csrf_token(app, db, csrf_on):
    client = new_client(app, cookies=False)
    registered = client.post("/api/v1/auth/register", json={
        "email": "app@example.vn", "password": "mat-khau-dai", "full_name": "Ứng dụng", "phone": "0912345678"})
    assert registered.status_code == 201, registered.get_json()
    assert client.post("/api/v1/auth/login", json={"email": "app@example.vn",
                                                   "password": "mat-khau-dai"}).status_code == 200
    item = f.product(stock=3)
    bought = client.post("/api/v1/checkout", json=checkout_body([(item, 1)]))
    assert bought.status_code == 201, bought.get_json()


def test_a_request_with_the_cookie_still_needs_the_token(app, client, db, csrf_on):
    f.user(email="an@example.vn")
    client.get("/api/v1/auth/csrf")  # the browser now holds a session cookie
    item = f.product(stock=3)
    for path, body in (("/api/v1/auth/login", {"email": "an@example.vn", "password": f.PASSWORD}),
                       ("/api/v1/checkout", checkout_body([(item, 1)]))):
        response = client.post(path, json=body)
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed", path


def test_a_remember_me_cookie_alone_also_needs_the_token(app, db, csrf_on):
    user = f.user()
    browser = new_client(app)
    browser.post("/api/v1/auth/login", json={"email": user.email, "password": f.PASSWORD, "remember": True})
    client = new_client(app)
    client.set_cookie("remember_token", browser.get_cookie("remember_token").value, domain="localhost")
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/tokens",
                                  "/api/v1/checkout"])
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"])
def test_json_endpoints_refuse_other_bodies_with_415(app, db, csrf_on, path, content_type):
    """A cross-site HTML form can send these types without cookies; it cannot send JSON."""
    f.user(email="an@example.vn")
    data = "email=an%40example.vn&password=" + f.PASSWORD
    response = new_client(app, cookies=False).post(path, data=data, content_type=content_type)
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


def test_web_forms_keep_their_csrf_token_without_a_cookie(app, db, csrf_on):
    f.user(email="an@example.vn")
    client = new_client(app, cookies=False)
    response = client.post("/login", data={"email": "an@example.vn", "password": f.PASSWORD})
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers or "remember_token" not in response.headers["Set-Cookie"]
