"""Validation of Vietnamese identifiers shared by forms, API schemas and CSV imports."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from flask_babel import gettext

# The largest id a database INTEGER column holds (PostgreSQL int4): larger ids cannot exist.
MAX_DB_ID = 2_147_483_647

_PHONE = re.compile(r"^0(3|5|7|8|9)\d{8}$")
_LANDLINE = re.compile(r"^02\d{9}$")
_TAX_CODE = re.compile(r"^\d{10}(-\d{3})?$")


def normalise_phone(value: str) -> str:
    """'+84 912 345 678' / '0912.345.678' -> '0912345678'. Raises ValueError if not Vietnamese."""
    digits = re.sub(r"[\s.\-()]", "", str(value or ""))
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not (_PHONE.match(digits) or _LANDLINE.match(digits)):
        raise ValueError(gettext("Not a valid Vietnamese phone number"))
    return digits


def validate_tax_code(value: str) -> str:
    code = str(value or "").strip()
    if not _TAX_CODE.match(code):
        raise ValueError(gettext("Tax code must be 10 digits or 10-3 digits"))
    return code


def fold_vietnamese(text: str) -> str:
    """Lower-case and strip accents; đ/Đ (which do not decompose) become d."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").lower()


def slugify(text: str, max_length: int = 80) -> str:
    folded = fold_vietnamese(text)
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    return slug[:max_length].rstrip("-") or "item"


def parse_date(raw) -> date:
    """A date from a form or JSON: a date, YYYY-MM-DD or DD/MM/YYYY. ValueError otherwise."""
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError("not a date")


# --- text: what the database can store, and what a person can read ---------------------

# Characters no database column holds: PostgreSQL refuses NUL in text, and a lone UTF-16
# surrogate (JSON "\ud800") cannot be encoded to UTF-8 at all.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# Control characters (C0 but the whitespace ones, DEL, C1) and the bidirectional
# embeddings, overrides and isolates that make a name read differently from what it is.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Blank letters and symbols (Hangul fillers, the empty Braille pattern) that print nothing, like
# the format (Cf), separator (Z*) and mark (Mn, Me) characters: a name of only these is empty.
_BLANK_FILLERS = frozenset("\u115f\u1160\u2800\u3164\uffa0")


def has_unstorable(text: str) -> bool:
    return bool(_UNSTORABLE.search(text))


def _invisible(ch: str) -> bool:
    return ch.isspace() or ch in _BLANK_FILLERS or unicodedata.category(ch) in ("Cf", "Zs", "Zl", "Zp", "Mn", "Me")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` cannot be a name or free text (a translated message), or None.

    Refused: control characters (tab, CR and LF allowed only in `multiline` text),
    bidirectional overrides (U+202A-U+202E, U+2066-U+2069), NUL and lone surrogates,
    and a non-empty value made only of invisible characters."""
    from flask_babel import gettext as _

    if has_unstorable(value) or _CONTROL.search(value) or (not multiline and re.search("[\t\r\n]", value)):
        return _("Control characters are not allowed.")
    if _BIDI.search(value):
        return _("Text direction controls are not allowed.")
    if value and not value.isspace() and all(_invisible(ch) for ch in value):
        return _("Enter visible characters.")
    return None


def clean_text(value, *, multiline: bool = False) -> str:
    """The one check of names and free text, in the services behind the forms, the API and
    the CSV imports: NFC normalised and stripped; raises ValueError (a translated message)
    as `text_problem`."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value)).strip()
    problem = text_problem(text, multiline=multiline)
    if problem:
        raise ValueError(problem)
    return text

