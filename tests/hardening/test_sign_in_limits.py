"""Sign-in limits: one budget per client address for the web form, POST /api/v1/auth/login and
/auth/tokens together; and a budget of failed attempts per account, from every address,
short enough that a stranger spending it keeps the owner out only briefly."""
from __future__ import annotations

import pytest

from tests import factories as f
from tests.conftest import new_client, rate_limits_on


@pytest.fixture
def limits(app):
    with rate_limits_on(app, LOGIN_RATE_LIMIT="3 per minute", ACCOUNT_LOGIN_RATE_LIMIT="3 per 5 minutes"):
        yield


def from_address(app, address: str):
    client = new_client(app)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def web_login(client, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password})


def api_login(client, email: str, password: str):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def token(client, email: str, password: str):
    return client.post("/api/v1/auth/tokens", json={"email": email, "password": password})


def test_the_web_form_and_the_api_share_one_budget_per_address(app, db, limits):
    users = [f.user() for _ in range(4)]  # different accounts: only the address budget counts
    client = from_address(app, "203.0.113.7")
    assert web_login(client, users[0].email, "sai-mat-khau").status_code == 422
    assert api_login(client, users[1].email, "sai-mat-khau").status_code == 401
    assert token(client, users[2].email, "sai-mat-khau").status_code == 401
    assert web_login(client, users[3].email, f.PASSWORD).status_code == 429
    assert api_login(client, users[3].email, f.PASSWORD).status_code == 429
    # another address still has its budget
    assert api_login(from_address(app, "203.0.113.8"), users[3].email, f.PASSWORD).status_code == 200


def test_guessing_one_account_from_many_addresses_is_slowed(app, db, limits):
    owner, neighbour = f.user(), f.user()
    attempts = [web_login, api_login, token]
    for n, attempt in enumerate(attempts):
        assert attempt(from_address(app, f"198.51.100.{n}"), owner.email, "doan-mo").status_code in (401, 422)
    limited = api_login(from_address(app, "198.51.100.50"), owner.email, f.PASSWORD)
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert web_login(from_address(app, "198.51.100.51"), owner.email.upper(), f.PASSWORD).status_code == 429
    # other accounts are untouched
    assert api_login(from_address(app, "198.51.100.52"), neighbour.email, f.PASSWORD).status_code == 200


def test_the_owner_signing_in_does_not_spend_the_account_budget(app, db, limits):
    owner = f.user()
    for n in range(4):
        assert api_login(from_address(app, f"192.0.2.{n}"), owner.email, f.PASSWORD).status_code == 200
    assert api_login(from_address(app, "192.0.2.99"), owner.email, "sai").status_code == 401


def test_the_account_lock_lasts_only_a_short_window(monkeypatch, tmp_path):
    """By default a stranger who spends an account's budget blocks the owner for minutes, not hours."""
    from limits import parse

    from marketplace.config import Config

    monkeypatch.delenv("ACCOUNT_LOGIN_RATE_LIMIT", raising=False)
    assert parse(Config(str(tmp_path)).ACCOUNT_LOGIN_RATE_LIMIT).get_expiry() <= 15 * 60
