"""The current request's cart (views and API endpoints share this)."""
from __future__ import annotations

from flask import session
from flask_login import current_user

from .services import CartRef


def current_cart() -> CartRef:
    """The signed-in user's stored cart (session or Bearer token), else the guest session's."""
    return CartRef.for_user(current_user, session)
