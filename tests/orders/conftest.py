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


@pytest.fixture(autouse=True)
def _fresh_login_per_request(app):
    def forget_user(sender, **_extra):
        g.pop("_login_user", None)
        refresh_locale()

    request_started.connect(forget_user, app)
    yield
    request_started.disconnect(forget_user, app)
