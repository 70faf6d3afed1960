"""API checkout bodies for the hardening tests: a valid one, and one with a single field replaced."""
from __future__ import annotations

import copy

CHECKOUT = {
    "contact": {"full_name": "Nguyễn Thị Lan", "phone": "0912345678", "email": "lan@example.vn"},
    "shipping_address": {"line1": "12 Trần Hưng Đạo", "ward": "Hồng Gai", "province": "Quảng Ninh"},
    "payment_method": "vietqr",
}


def checkout_body(items, field: str | None = None, value=None, **contact) -> dict:
    """`items`: [(product, quantity)]; `field` ("contact.full_name", "note", ...) set to `value`;
    `contact` overrides the contact's fields."""
    body = copy.deepcopy(CHECKOUT)
    body["contact"].update(contact)
    body["items"] = [{"product_id": product.id, "quantity": quantity} for product, quantity in items]
    if field:
        section, _, key = field.rpartition(".")
        (body[section] if section else body)[key] = value
    return body
