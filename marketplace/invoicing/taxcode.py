"""Vietnamese enterprise tax codes (mã số thuế): 10 digits, or 10 + '-' + 3 for a branch.

The tenth digit is a check digit (Circular 105/2020/TT-BTC keeps the structure of the
code; the rule is the General Department of Taxation's): with the weights 31, 29, 23, 19,
17, 13, 7, 5, 3 on the first nine digits, check = 10 - (weighted sum mod 11); a code whose
computed check is 10 is never issued.
"""
from __future__ import annotations

from flask_babel import gettext

import re

WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_FORMAT = re.compile(r"^(\d{10})(-(\d{3}))?$")


def check_digit(first_nine: str) -> int | None:
    value = 10 - sum(int(d) * w for d, w in zip(first_nine, WEIGHTS)) % 11
    return None if value == 10 else value


def validate(value) -> str:
    """The code, stripped; ValueError with a message in the current language otherwise."""
    code = re.sub(r"\s+", "", str(value or ""))
    match = _FORMAT.match(code)
    if not match:
        raise ValueError(gettext("A tax code is 10 digits, or 10 digits-3 digits for a branch"))
    main = match.group(1)
    if check_digit(main[:9]) != int(main[9]):
        raise ValueError(gettext("The tax code's check digit is wrong"))
    if match.group(3) == "000":
        raise ValueError(gettext("A branch suffix cannot be 000"))
    return code
