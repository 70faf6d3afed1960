"""Shared builders for the cart/checkout/orders tests."""
from __future__ import annotations

CONTACT = {"full_name": "Nguyễn Thị Lan", "phone": "0912 345 678", "email": "lan@example.vn"}
ADDRESS = {"line1": "Số 12, phố Cao Thắng", "ward": "Phường Hạ Long", "province": "Quảng Ninh"}


def checkout_body(items=None, method: str = "vietqr", **extra) -> dict:
    body = {"contact": dict(CONTACT), "shipping_address": dict(ADDRESS), "payment_method": method}
    if items is not None:
        body["items"] = [{"product_id": p.id if hasattr(p, "id") else p, "quantity": q} for p, q in items]
    body.update(extra)
    return body


def checkout(client, items=None, method: str = "vietqr", **extra):
    return client.post("/api/v1/checkout", json=checkout_body(items, method, **extra))
