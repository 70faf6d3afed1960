"""Fixtures for the orders tests."""
from __future__ import annotations

import pytest

from tests import factories as f
from tests.factories import checkout


@pytest.fixture
def shopper_order(db, client):
    """A signed-in shopper's unpaid order of two producers' products, placed through the API."""
    shopper = f.user(email="lan@example.vn")
    f.login_as(client, shopper)
    honey = f.product("Mật ong", price_vnd=200_000, stock=10)
    tea = f.product("Trà", price_vnd=150_000, stock=10)
    code = checkout(client, [(honey, 1), (tea, 2)]).json["order"]["code"]
    return shopper, code, honey, tea
