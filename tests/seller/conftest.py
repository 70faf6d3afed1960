"""Fixtures for the seller portal tests: two producers with one member each."""
from __future__ import annotations

import pytest

from tests import factories


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
