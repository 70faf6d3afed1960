"""Order codes: random, short, easy to read out on the phone, and forgiving when typed."""
from __future__ import annotations

import re
import secrets

# Upper-case letters and digits without look-alikes (0/O, 1/I/L, U/V): easy to read out on the phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"
CODE_LENGTH = 10  # 29**10 ≈ 4·10^14 codes: not guessable, and tracking also needs the phone number
_CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


def new_order_code() -> str:
    """A random order code shown as two groups of five, e.g. `7KM4P-Q9XDA`."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(text: str | None) -> str | None:
    """Accept a code typed any way (`7km4p q9xda`, `7KM4PQ9XDA`); None if it cannot be one."""
    raw = re.sub(r"[^0-9A-Za-z]", "", str(text or "")).upper()
    if not _CODE_RE.match(raw):
        return None
    return f"{raw[:5]}-{raw[5:]}"
