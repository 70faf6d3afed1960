"""Fixtures for the invoicing tests: categories with rates, two producers (helpers in invoice_helpers.py)."""
from __future__ import annotations

import pytest

import factories
from marketplace.extensions import db as _db


@pytest.fixture
def groups(db):
    """Food (8% from 1 July 2025) with fresh produce (not subject to VAT), and the rate table seeded."""
    from marketplace.invoicing import rates

    food = factories.category("Thực phẩm", "Food")
    food.slug = "thuc-pham"
    fresh = factories.category("Nông sản tươi", "Fresh produce", parent=food)
    fresh.slug = "nong-san"
    _db.session.commit()
    rates.seed_rates()
    return food, fresh


@pytest.fixture
def seller(db):
    return factories.seller_of("HTX Trà hoa vàng Ba Chẽ")


@pytest.fixture
def other_seller(db):
    return factories.seller_of("Hộ kinh doanh Nước mắm Cái Rồng")


@pytest.fixture
def seller_client(client, seller):
    factories.login_as(client, seller.user)
    return client
