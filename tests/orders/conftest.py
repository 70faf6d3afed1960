"""Test harness detail for these tests.

The `db`/`ctx` fixtures keep an application context open, and Flask reuses an open
application context for test-client requests, so `g` (where Flask-Login caches the
current user) would leak from one request to the next, even across test clients.
Forget the cached user as each request starts, as a fresh app context would.
"""
from __future__ import annotations

import pytest
from flask import g, request_started


@pytest.fixture(autouse=True)
def _fresh_login_per_request(app):
    def forget_user(sender, **_extra):
        g.pop("_login_user", None)

    request_started.connect(forget_user, app)
    yield
    request_started.disconnect(forget_user, app)
