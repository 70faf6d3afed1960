"""Fixtures for the seller portal tests: two producers with one member each, and SePay credentials."""
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


@pytest.fixture
def sepay(app):
    """SePay credentials, so that tests can pay orders as the bank notifies them."""
    from seller_samples import SEPAY_KEY

    saved = app.config.get("SEPAY_API_KEY")
    app.config["SEPAY_API_KEY"] = SEPAY_KEY
    yield
    app.config["SEPAY_API_KEY"] = saved
