"""Fixtures for the seller portal tests: two producers with one member each, and SePay credentials."""
from __future__ import annotations

import pytest

import factories


@pytest.fixture
def seller(db):
    return factories.seller_of("HTX Trà hoa vàng Ba Chẽ")


@pytest.fixture
def other_seller(db):
    return factories.seller_of("HTX Nước mắm Cái Rồng")


@pytest.fixture
def seller_client(client, seller):
    factories.login_as(client, seller.user)
    return client


@pytest.fixture
def sepay(app):
    """SePay credentials, so that tests can pay orders as the bank notifies them."""
    from seller_samples import SEPAY_KEY

    saved = app.config.get("SEPAY_API_KEY")
    app.config["SEPAY_API_KEY"] = SEPAY_KEY
    yield
    app.config["SEPAY_API_KEY"] = saved
