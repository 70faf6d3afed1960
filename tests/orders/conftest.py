"""Test harness detail for these tests.

The `db`/`ctx` fixtures keep an application context open, and Flask reuses an open
application context for test-client requests, so `g` (where Flask-Login caches the
current user and Flask-Babel the locale) would leak from one request to the next,
even across test clients. Forget both as each request starts, as a fresh app
context would.
"""
from __future__ import annotations

import pytest
from flask import g, request_started
from flask_babel import refresh as refresh_locale

import factories as f
from orders_helpers import checkout


@pytest.fixture(autouse=True)
def _fresh_login_per_request(app):
    def forget_user(sender, **_extra):
        g.pop("_login_user", None)
        refresh_locale()

    request_started.connect(forget_user, app)
    yield
    request_started.disconnect(forget_user, app)


@pytest.fixture
def shopper_order(db, client):
    """A signed-in shopper's unpaid order of two producers' products, placed through the API."""
    shopper = f.user(email="lan@example.vn")
    f.login_as(client, shopper)
    honey = f.product("Mật ong", price_vnd=200_000, stock=10)
    tea = f.product("Trà", price_vnd=150_000, stock=10)
    code = checkout(client, [(honey, 1), (tea, 2)]).json["order"]["code"]
    return shopper, code, honey, tea
