"""Request helpers: the orders a guest placed from this browser session."""
from __future__ import annotations

from flask import session

GUEST_ORDERS_KEY = "guest_orders"
MAX_REMEMBERED = 20


def guest_order_codes() -> list[str]:
    return list(session.get(GUEST_ORDERS_KEY) or [])


def remember_guest_order(code: str) -> None:
    """Let the session that placed an order (signed in or not) open it again.

    Not for a Bearer-token request: it ignores the session (its orders are the token's
    user's), so writing one would only cost a signed cookie nobody reads."""
    from ..accounts.auth import bearer_token

    if bearer_token() is not None:
        return
    codes = [c for c in guest_order_codes() if c != code]
    session[GUEST_ORDERS_KEY] = (codes + [code])[-MAX_REMEMBERED:]
