"""Orders for tests, placed through the real checkout.

`place_order` runs what a shopper's checkout runs (checkout/rules.py's validation, then
checkout/services.py: stock reserved, one part per producer, shipping from each producer's
fee, history, payment attempt, confirmation email queued), so a test's order is one the
application could have made. Call it inside the `db` (or `ctx`) fixture's context.
"""
from __future__ import annotations

import itertools

CONTACT = {"full_name": "Nguyễn Thị Lan", "phone": "0912 345 678", "email": "lan@example.vn"}
ADDRESS = {"line1": "Số 12, phố Cao Thắng", "ward": "Phường Hạ Long", "province": "Quảng Ninh"}

_numbers = itertools.count(1)


def place_order(items, method: str = "vietqr", user=None, *, contact: dict | None = None,
                address: dict | None = None, note: str = "", unique_email: bool = False):
    """An order waiting for payment of `items` ([(product, quantity)] or {product_id: quantity}),
    loaded with its parts and lines. `contact`/`address` replace fields of the defaults;
    `unique_email` gives this order a contact email of its own (for mail assertions)."""
    from marketplace.checkout.rules import validate_details
    from marketplace.checkout.services import checkout
    from marketplace.orders.services import get_order

    contact = {**CONTACT, **(contact or {})}
    if unique_email:
        contact["email"] = f"khach{next(_numbers)}@example.vn"
    details = validate_details(contact, {**ADDRESS, **(address or {})}, method, note)
    quantities = items if isinstance(items, dict) else {product.id: quantity for product, quantity in items}
    placed = checkout(details, quantities, user=user)
    return get_order(placed.order.code)
