"""Shared builders for the cart/checkout/orders tests."""
from __future__ import annotations

from tests.order_factory import ADDRESS, CONTACT


def checkout_body(items=None, method: str = "vietqr", **extra) -> dict:
    body = {"contact": dict(CONTACT), "shipping_address": dict(ADDRESS), "payment_method": method}
    if items is not None:
        body["items"] = [{"product_id": p.id if hasattr(p, "id") else p, "quantity": q} for p, q in items]
    body.update(extra)
    return body


def checkout(client, items=None, method: str = "vietqr", **extra):
    return client.post("/api/v1/checkout", json=checkout_body(items, method, **extra))


def place(items, method: str = "vietqr", user=None):
    """Place an order through the real checkout (in the `db` fixture's context)."""
    from tests.order_factory import place_order

    return place_order(items, method, user)


def reload(order):
    from marketplace.extensions import db
    from marketplace.orders.services import get_order

    db.session.expire_all()
    return get_order(order.code)


def stock_of(product) -> int:
    from marketplace.catalog.models import Product
    from marketplace.extensions import db

    db.session.expire_all()
    return db.session.get(Product, product.id).stock
