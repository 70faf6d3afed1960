"""Fixtures for traceability: two producers with a seller each, a product of the first; helpers in trace_helpers.py."""
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
    producer = factories.producer("HTX Mật ong Ba Chẽ")
    return Seller(producer, factories.user("seller", producer_id=producer.id))


@pytest.fixture
def other_seller(db):
    producer = factories.producer("HTX Hàu Vân Đồn")
    return Seller(producer, factories.user("seller", producer_id=producer.id))


@pytest.fixture
def honey(seller):
    return factories.product("Mật ong rừng Ba Chẽ", prod=seller.producer, stars=4)


@pytest.fixture
def seller_client(client, seller):
    factories.login_as(client, seller.user)
    return client
