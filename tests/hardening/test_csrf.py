"""CSRF follows the credential a request carries (README, Security).

The list of mutations comes from the URL map (every POST, PUT, PATCH and DELETE), so a
new form or API route is covered the day it is added.
- With the session cookie: each is sent by its rightful user against the objects of
  authz_world, without the token: it must be refused with 400 and change nothing.
- With a Bearer token: no CSRF token needed; a junk token is 401 even with a cookie.
- With neither (a mobile app): API mutations are not CSRF-checked (a JSON body is
  required instead); web forms still need their token (no login CSRF).
The provider webhooks and the token endpoint are exempt, listed here by name.
"""
from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from marketplace.accounts.services import issue_token
from marketplace.extensions import db as _db
from tests.conftest import empty_tables, new_client
from tests.hardening.authz_world import build_world, differences, signed_in, snapshot
from tests.hardening.test_authz_matrix import ROUTES

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# Never called with the session cookie: provider webhooks (signed by the provider) and
# token creation (the password is in the request; the answer is unreadable cross-site).
EXEMPT = {("payment_webhooks.sepay", "POST"), ("payment_webhooks.casso", "POST"),
          ("payment_webhooks.stripe_webhook", "POST"), ("Tokens.create_token", "POST")}
MATRIX_PATHS = {(r.endpoint, r.method): r.path for r in ROUTES}


def mutations(app) -> list[tuple[str, str, object]]:
    """(endpoint, method, rule) of every mutating route, in a stable order."""
    found = {(rule.endpoint, method): rule for rule in app.url_map.iter_rules()
             for method in rule.methods & MUTATING}
    return [(endpoint, method, found[(endpoint, method)]) for endpoint, method in sorted(found)]


def rightful_role(path: str) -> str:
    if path.startswith(("/admin", "/api/v1/admin", "/api/v1/payments/transfers", "/api/v1/payments/refunds")):
        return "admin"
    if path.startswith(("/seller", "/api/v1/seller")):
        return "owner_seller"
    return "owner_shopper"


def url_for_rule(world, endpoint: str, method: str, rule) -> str:
    """A's object for matrix routes; any well-formed value elsewhere (CSRF is checked first)."""
    if (endpoint, method) in MATRIX_PATHS:
        return MATRIX_PATHS[(endpoint, method)](world)
    values = {name: 1 if isinstance(converter, IntegerConverter) else "ABCDE-FGHJK"
              for name, converter in rule._converters.items()}
    return rule.build(values, append_unknown=False)[1]


@pytest.fixture(autouse=True)
def _clean_tables():
    """Overrides conftest's per-test cleanup: the world is shared by this module's tests."""
    yield


@pytest.fixture(scope="module")
def world(app):
    empty_tables(app)
    with app.test_request_context():
        built = build_world()
    yield built
    empty_tables(app)


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def test_only_webhooks_and_token_creation_are_exempt(app):
    exempt_blueprints = app.config["CSRF_EXEMPT_BLUEPRINTS"]
    exempt = {(endpoint, method) for endpoint, method, rule in mutations(app)
              if endpoint.split(".")[0] in exempt_blueprints}
    assert exempt == EXEMPT


def test_cookie_mutations_without_the_token_are_refused_and_change_nothing(app, world, csrf_on):
    routes = [(e, m, r) for e, m, r in mutations(app) if (e, m) not in EXEMPT]
    assert len(routes) >= 55  # the whole site, not a sample
    with app.test_request_context():
        before = snapshot(app.config["UPLOAD_DIR"])
    failures = []
    for endpoint, method, rule in routes:
        path = url_for_rule(world, endpoint, method, rule)
        client = signed_in(app, world.user_id(rightful_role(path)))
        api = path.startswith("/api/")
        response = (client.open(path, method=method, json={}) if api
                    else client.open(path, method=method, data={"reason": "x"}))
        refused = response.status_code == 400 and (
            not api or response.get_json()["error"]["code"] == "csrf_failed")
        if not refused:
            failures.append(f"{method} {path}: {response.status_code}")
    with app.test_request_context():
        after = snapshot(app.config["UPLOAD_DIR"])
    assert not failures, "accepted without a CSRF token:\n" + "\n".join(failures)
    assert not differences(before, after)


def test_a_valid_token_lets_the_same_request_through(app, world, csrf_on):
    client = signed_in(app, world.a.shopper_id)
    token = client.get("/api/v1/auth/csrf").get_json()["csrf_token"]
    path = f"/api/v1/cart/items/{world.b.product_id}"
    assert client.patch(path, json={"quantity": 1}).status_code == 400
    assert client.patch(path, json={"quantity": 1}, headers={"X-CSRFToken": "forged"}).status_code == 400
    # Passes CSRF; B's product is not in A's cart: the service answers, not the CSRF check.
    assert client.patch(path, json={"quantity": 1}, headers={"X-CSRFToken": token}).status_code == 404
    form = client.post("/cart/remove", data={"product_id": world.b.product_id, "csrf_token": token})
    assert form.status_code in (302, 303)


def test_bearer_requests_need_no_csrf_token(app, world, csrf_on):
    """Every API mutation accepts a Bearer token without a CSRF token (whatever its answer)."""
    with app.test_request_context():
        tokens = {role: issue_token(_db.session.get(_user_model(), world.user_id(role)), "csrf test")
                  for role in ("admin", "owner_seller", "owner_shopper")}
        _db.session.remove()
    client = new_client(app, cookies=False)
    checked = 0
    for endpoint, method, rule in mutations(app):
        if not rule.rule.startswith("/api/") or (endpoint, method) in EXEMPT:
            continue
        path = url_for_rule(world, endpoint, method, rule)
        if endpoint == "Accounts.logout":
            continue  # would revoke the token used below; tests/api covers it
        response = client.open(path, method=method, json={},
                               headers={"Authorization": f"Bearer {tokens[rightful_role(path)]}"})
        body = response.get_json(silent=True) or {}
        assert (body.get("error") or {}).get("code") != "csrf_failed", f"{method} {path}"
        assert response.status_code not in (401, 403), f"{method} {path}: {response.status_code}"
        checked += 1
    assert checked >= 20


def test_a_bearer_header_never_borrows_the_session_cookie(app, world, csrf_on):
    """Why the exemption is safe: with `Authorization: Bearer`, the cookie is ignored, so a
    forged request that adds a junk Bearer header is anonymous, not the signed-in admin."""
    client = signed_in(app, world.admin_id)
    with app.test_request_context():
        before = snapshot(app.config["UPLOAD_DIR"])
    response = client.post(f"/api/v1/admin/producers/{world.a.producer_id}/suspend", json={"reason": "giả mạo"},
                           headers={"Authorization": "Bearer not-a-real-token"})
    assert response.status_code == 401
    with app.test_request_context():
        assert not differences(before, snapshot(app.config["UPLOAD_DIR"]))


def _user_model():
    from marketplace.accounts.models import User

    return User


def test_cookieless_api_mutations_are_not_csrf_checked(app, world, csrf_on):
    """A client without cookies has nothing a forged request could ride on."""
    client = new_client(app, cookies=False)
    with app.test_request_context():
        before = snapshot(app.config["UPLOAD_DIR"])
    checked = 0
    for endpoint, method, rule in mutations(app):
        if not rule.rule.startswith("/api/") or (endpoint, method) in EXEMPT:
            continue
        path = url_for_rule(world, endpoint, method, rule)
        if endpoint in ("Accounts.register", "Accounts.login", "checkout_api.checkout"):
            continue  # they succeed without cookies: tests/hardening/test_credentials.py
        response = client.open(path, method=method, json={})
        body = response.get_json(silent=True) or {}
        assert (body.get("error") or {}).get("code") != "csrf_failed", f"{method} {path}"
        checked += 1
    with app.test_request_context():
        assert not differences(before, snapshot(app.config["UPLOAD_DIR"]))
    assert checked >= 20


def test_web_forms_need_the_token_even_without_a_cookie(app, world, csrf_on):
    client = new_client(app, cookies=False)
    failures = []
    for endpoint, method, rule in mutations(app):
        if rule.rule.startswith("/api/") or (endpoint, method) in EXEMPT:
            continue
        path = url_for_rule(world, endpoint, method, rule)
        response = client.open(path, method=method, data={"email": "a@example.vn", "password": "x"})
        if response.status_code != 400:
            failures.append(f"{method} {path}: {response.status_code}")
    assert not failures, "web forms accepted without a CSRF token:\n" + "\n".join(failures)


def test_a_junk_bearer_token_is_401_on_every_mutation_even_with_a_cookie(app, world, csrf_on):
    client = signed_in(app, world.admin_id)
    failures = []
    for endpoint, method, rule in mutations(app):
        if (endpoint, method) in EXEMPT:
            continue
        path = url_for_rule(world, endpoint, method, rule)
        response = client.open(path, method=method, json={}, headers={"Authorization": "Bearer junk"})
        if response.status_code != 401:
            failures.append(f"{method} {path}: {response.status_code}")
    assert not failures, "\n".join(failures)
