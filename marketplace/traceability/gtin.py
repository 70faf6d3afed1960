"""GS1 trade item numbers (GTIN-8, -12, -13, -14): check digit and the GTIN-14 form links use."""
from __future__ import annotations

LENGTHS = (8, 12, 13, 14)


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of `body` (all digits but the last): weights 3,1,3,… from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalise_gtin(raw: str) -> str:
    """A GTIN of 8, 12, 13 or 14 digits (spaces and dashes ignored) -> its GTIN-14 form.

    Raises ValueError when the length or the check digit is wrong.
    """
    digits = "".join(ch for ch in str(raw) if ch not in " -")
    if not digits.isascii() or not digits.isdigit() or len(digits) not in LENGTHS:
        raise ValueError("length")
    if check_digit(digits[:-1]) != int(digits[-1]):
        raise ValueError("check digit")
    return digits.zfill(14)
