"""Money is an integer number of Vietnamese dong, end to end."""
from __future__ import annotations

from babel.numbers import format_currency

# Stripe's limit for one charge in a zero-decimal currency like VND.
STRIPE_MAX_VND = 99_999_999


def format_vnd(amount: int | None) -> str:
    """125000 -> '125.000 ₫' (Vietnamese grouping with dots)."""
    if amount is None:
        return ""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError("money must be an integer number of dong")
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,}".replace(",", ".") + " ₫"


def parse_vnd(text: str) -> int:
    """Parse a human-entered amount ('125.000', '125,000 ₫', '125000') into dong."""
    cleaned = "".join(ch for ch in str(text) if ch.isdigit() or ch == "-")
    if not cleaned or cleaned == "-":
        raise ValueError("not an amount")
    return int(cleaned)


def format_vnd_for(amount: int | None, locale: str = "vi") -> str:
    """An amount for people to read, written as the locale writes money (vi: '1.025.000 ₫',
    en: '₫1,025,000'), the number and the sign held together by a no-break space so that a
    narrow screen never puts the '₫' on a line of its own."""
    if amount is None:
        return ""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError("money must be an integer number of dong")
    return format_currency(amount, "VND", locale=locale)


def format_vnd_here(amount: int | None) -> str:
    """`format_vnd_for` in the locale of the page or message being written (Vietnamese
    outside a request or a `send_in` block)."""
    from flask_babel import get_locale

    return format_vnd_for(amount, str(get_locale() or "vi"))
