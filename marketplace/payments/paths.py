"""Where a shopper pays and follows an order (a module of its own: the payment services and
the shopper's notices both link to it, and the notices sit below the services)."""
from __future__ import annotations

from ..orders.access import access_token
from ..orders.models import Order


def payment_page_path(order: Order) -> str:
    """The order's payment page (QR, status, receipts), with the guest access token."""
    return f"/payments/orders/{order.code}?t={access_token(order)}"
