"""Request helpers: the orders a guest placed from this browser session."""
from __future__ import annotations

from flask import session

GUEST_ORDERS_KEY = "guest_orders"
MAX_REMEMBERED = 20


def guest_order_codes() -> list[str]:
    return list(session.get(GUEST_ORDERS_KEY) or [])


def remember_guest_order(code: str) -> None:
    """Let the session that placed an order (signed in or not) open it again."""
    codes = [c for c in guest_order_codes() if c != code]
    session[GUEST_ORDERS_KEY] = (codes + [code])[-MAX_REMEMBERED:]
