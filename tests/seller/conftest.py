"""Fixtures for the seller portal tests: two producers with one member each, and upload samples."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

import factories


@dataclass
class Seller:
    producer: object
    user: object


@pytest.fixture
def seller(db):
    producer = factories.producer("HTX Trà hoa vàng Ba Chẽ")
    return Seller(producer, factories.user("seller", producer_id=producer.id))


@pytest.fixture
def other_seller(db):
    producer = factories.producer("HTX Nước mắm Cái Rồng")
    return Seller(producer, factories.user("seller", producer_id=producer.id))


@pytest.fixture
def seller_client(client, seller):
    factories.login_as(client, seller.user)
    return client


@pytest.fixture(autouse=True)
def _fresh_login_per_request(app):
    """The `db`/`ctx` fixtures keep an app context open, and Flask reuses it for the test
    client's requests, so `g` (where Flask-Login caches the user) would leak from one
    request to the next. Forget the cached user at the start of every request."""
    from flask import g, request_started

    def forget(sender, **extra):
        g.pop("_login_user", None)

    request_started.connect(forget, app)
    yield
    request_started.disconnect(forget, app)


@pytest.fixture
def fresh_client(client):
    """Kept for the seller tests' wording: the project-wide client already isolates requests."""
    return client
