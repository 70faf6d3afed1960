"""Fixtures for traceability: two producers with a seller each, a product of the first; helpers in trace_helpers.py."""
from __future__ import annotations

import pytest

import factories


@pytest.fixture
def seller(db):
    return factories.seller_of("HTX Mật ong Ba Chẽ")


@pytest.fixture
def other_seller(db):
    return factories.seller_of("HTX Hàu Vân Đồn")


@pytest.fixture
def honey(seller):
    return factories.product("Mật ong rừng Ba Chẽ", prod=seller.producer, stars=4)


@pytest.fixture
def seller_client(client, seller):
    factories.login_as(client, seller.user)
    return client
