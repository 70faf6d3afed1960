"""Helpers for the traceability tests: a lot's body, and a lot recorded through the service."""
from __future__ import annotations

from datetime import timedelta

import factories
from marketplace.timeutil import local_today


def lot_body(code: str = "BC-2026-01", **extra) -> dict:
    today = local_today()
    body = {"code": code, "produced_on": (today - timedelta(days=10)).isoformat(),
            "best_before": (today + timedelta(days=355)).isoformat(), "quantity": 500,
            "origin": {"ward_code": factories.locality("Ba Chẽ").slug},
            "process": ["Thu hoạch mật từ rừng keo", "Lọc và đóng lọ"], "inputs": ["Mật ong rừng"]}
    body.update(extra)
    return body


def make_lot(product, **extra):
    """A lot recorded through the service, as its producer."""
    from marketplace.traceability.lots import create_lot

    seller = factories.user("seller", producer_id=product.producer_id)
    return create_lot(product.producer_id, product.id, seller, lot_body(**extra))


def order_of(shopper, product, quantity: int = 1):
    """A paid order of `quantity` units of the product, its part confirmed (ready to ship)."""
    from marketplace.extensions import db
    from tests.hardening.authz_world import paid_order

    order = paid_order(shopper, product)
    order.parts[0].lines[0].quantity = quantity
    order.parts[0].status = "confirmed"
    db.session.commit()
    return order
