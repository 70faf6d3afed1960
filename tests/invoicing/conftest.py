"""Fixtures for the invoicing tests: categories with rates, two producers, a paid part for a company,
the S-Invoice stand-in (helpers in invoice_helpers.py)."""
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


@pytest.fixture
def standin(app, monkeypatch):
    """The local stand-in of Viettel S-Invoice, and the app pointed at it (no pause between retries)."""
    from sinvoice_standin import StandIn

    with StandIn() as server:
        monkeypatch.setitem(app.config, "SINVOICE_BASE_URL", server.url)
        monkeypatch.setitem(app.config, "SINVOICE_TIMEOUT_S", 0.5)
        monkeypatch.setitem(app.config, "SINVOICE_RETRY_PAUSE_S", 0)
        yield server


@pytest.fixture
def part(client, db, groups, seller):
    """The seller's part of a company's order paid 1 March 2026 09:00 local: tea 324,000 (8% VAT)
    and two greens of 50,000 (not subject to VAT); the producer's tax code is the stand-in's supplier."""
    from invoice_helpers import COMPANY, local, mark_paid, part_of, place

    food, fresh = groups
    seller.producer.tax_code = "0100112437"
    _db.session.commit()
    tea = factories.product("Trà hoa vàng", prod=seller.producer, cat=food, price_vnd=324_000)
    greens = factories.product("Rau rừng", prod=seller.producer, cat=fresh, price_vnd=50_000)
    order = mark_paid(place(client, [(tea, 1), (greens, 2)], invoice=COMPANY).json["order"]["code"],
                      local(2026, 3, 1, 9))
    return part_of(order, seller.producer)
