"""The one set of product rules.

The seller's web form, the seller API, the seller's CSV import and the seed catalogue
(`flask seed`) all validate a listing and its OCOP certificate claim here, so a product
the seed loads is one a seller could have typed, and the other way round.

Each `check_*` takes the raw value (form text, JSON value or CSV cell) and returns the
clean one or raises `RuleError`, a ValueError whose message is a Babel message id
translated in the current locale. `clean_product_fields` and `clean_certificate_claim`
apply them to a whole mapping and return (cleaned values, errors by field).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..money import STRIPE_MAX_VND
from ..timeutil import local_today
from ..validators import clean_text, parse_date
from .models import CERTIFICATE_LEVELS, PRODUCT_STATUSES, Category, Certificate

# Integer VND; the upper bound is what one Stripe charge may carry (money.py).
PRICE_MIN_VND = 1_000
PRICE_MAX_VND = STRIPE_MAX_VND
STOCK_MAX = 1_000_000
NAME_LENGTH = (2, 200)
UNIT_LENGTH = (1, 60)
DESCRIPTION_MAX = 10_000
STARS = (1, 5)
CERTIFICATE_NO_LENGTH = (2, 60)
OCOP_START = date(2013, 1, 1)  # the OCOP programme began in 2013 (no certificate is older)


class RuleError(ValueError):
    """A value that breaks a product rule; str() is the message in the current locale."""

    def __str__(self) -> str:
        return str(self.args[0])


def _n(number: int) -> str:
    return format_decimal(number)


_WHOLE = re.compile(r"^-?(\d+|\d{1,3}([.,]\d{3})+)$")


def parse_whole_number(raw) -> int:
    """125000, "125000", "125.000", "125,000 ₫" -> 125000; "1.5", 1.5, True -> ValueError."""
    if isinstance(raw, bool) or isinstance(raw, float):
        raise ValueError("not a whole number")
    if isinstance(raw, int):
        return raw
    text = re.sub(r"\s*(₫|đ|vnd|vnđ)$", "", str(raw).strip().lower()).replace(" ", "")
    if not _WHOLE.match(text):
        raise ValueError("not a whole number")
    return int(text.replace(".", "").replace(",", ""))


def _blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _whole(raw, low: int, high: int, required, not_whole, out_of_range) -> int:
    """A whole number in [low, high], with the field's own messages (lazy, `out_of_range`
    formatted with `low` and `high`)."""
    if _blank(raw):
        raise RuleError(required)
    try:
        value = parse_whole_number(raw)
    except ValueError:
        raise RuleError(not_whole) from None
    if not low <= value <= high:
        raise RuleError(out_of_range % {"low": _n(low), "high": _n(high)})
    return value


def check_price(raw) -> int:
    return _whole(raw, PRICE_MIN_VND, PRICE_MAX_VND, _l("Price (VND) is required"),
                  _l("Price (VND) must be a whole number"), _l("Price (VND) must be between %(low)s and %(high)s"))


def check_stock(raw) -> int:
    return _whole(raw, 0, STOCK_MAX, _l("Stock is required"), _l("Stock must be a whole number"),
                  _l("Stock must be between %(low)s and %(high)s"))


def check_stars(raw) -> int:
    return _whole(raw, *STARS, _l("Stars are required"), _l("Stars must be a whole number"),
                  _l("Stars must be between %(low)s and %(high)s"))


def _clean(raw, multiline: bool = False) -> str:
    try:
        return clean_text(raw, multiline=multiline)
    except ValueError as exc:
        raise RuleError(str(exc)) from None


def check_name(raw) -> str:
    name = _clean(raw)
    if not NAME_LENGTH[0] <= len(name) <= NAME_LENGTH[1]:
        raise RuleError(_l("Product name needs %(low)s to %(high)s characters",
                           low=NAME_LENGTH[0], high=NAME_LENGTH[1]))
    return name


def check_description(raw) -> str:
    description = _clean(raw, multiline=True)
    if len(description) > DESCRIPTION_MAX:
        raise RuleError(_l("Description is limited to %(high)s characters", high=_n(DESCRIPTION_MAX)))
    return description


def check_unit(raw) -> str:
    unit = _clean(raw)
    if not UNIT_LENGTH[0] <= len(unit) <= UNIT_LENGTH[1]:
        raise RuleError(_l("Enter the selling unit (at most %(high)s characters), e.g. “500 g box”",
                           high=UNIT_LENGTH[1]))
    return unit


def check_status(raw) -> str:
    status = "draft" if _blank(raw) else str(raw).strip()
    if status not in PRODUCT_STATUSES:
        raise RuleError(_l("Status must be draft, active or archived"))
    return status


def check_certificate_no(raw) -> str:
    number = "" if raw is None else str(raw).strip()
    if not CERTIFICATE_NO_LENGTH[0] <= len(number) <= CERTIFICATE_NO_LENGTH[1]:
        raise RuleError(_l("Certificate number is required (%(low)s to %(high)s characters)",
                           low=CERTIFICATE_NO_LENGTH[0], high=CERTIFICATE_NO_LENGTH[1]))
    return number


def level_of(stars: int | None) -> str:
    """Since 2020, 5★ is rated nationally; 3★ and 4★ by the province."""
    return "national" if stars == 5 else "province"


def check_level(raw, stars: int | None) -> str:
    level = ("" if raw is None else str(raw).strip()) or level_of(stars)
    if level not in CERTIFICATE_LEVELS:
        raise RuleError(_l("Level must be province or national"))
    if stars is not None and level != level_of(stars):
        raise RuleError(_l("5-star products are certified nationally, 3 and 4 stars by the province"))
    return level


def check_issued_on(raw) -> date:
    if _blank(raw):
        raise RuleError(_l("Issue date is required"))
    try:
        issued_on = parse_date(raw)
    except ValueError:
        raise RuleError(_l("Issue date is not a valid date (YYYY-MM-DD or DD/MM/YYYY)")) from None
    if issued_on > local_today() or issued_on < OCOP_START:
        raise RuleError(_l("Issue date must be between 2013 and today"))
    return issued_on


def check_expires_on(raw, issued_on: date | None) -> date | None:
    """The expiry date; when absent, the default validity after `issued_on`."""
    if _blank(raw):
        return Certificate.default_expiry(issued_on) if issued_on else None
    try:
        expires_on = parse_date(raw)
    except ValueError:
        raise RuleError(_l("Expiry date is not a valid date (YYYY-MM-DD or DD/MM/YYYY)")) from None
    if issued_on and expires_on <= issued_on:
        raise RuleError(_l("Expiry date must be after the issue date"))
    return expires_on


def _apply(check, data: Mapping, name: str, cleaned: dict, errors: dict, *args, key: str | None = None):
    try:
        cleaned[key or name] = check(data.get(name), *args)
    except RuleError as exc:
        errors[name] = [str(exc)]
        cleaned[key or name] = None
    return cleaned[key or name]


PRODUCT_CHECKS = {"name": check_name, "description": check_description, "unit": check_unit,
                  "price_vnd": check_price, "stock": check_stock, "status": check_status}


def clean_product_fields(data: Mapping, *, partial: bool = False,
                         category_ids: Mapping[str, int] | None = None) -> tuple[dict, dict]:
    """Validate listing fields from a form, the API or a CSV row.

    Returns (cleaned values, errors by field). With `partial`, absent fields are skipped.
    `category` is a category slug (or `category_id` an id); `category_ids` maps slugs to
    ids to avoid a query per row in imports.
    """
    cleaned: dict = {}
    errors: dict[str, list[str]] = {}
    for name, check in PRODUCT_CHECKS.items():
        if not partial or name in data:
            _apply(check, data, name, cleaned, errors)
    if "category_id" in data and data.get("category_id") not in (None, ""):
        try:
            category_id = int(data["category_id"])
        except (TypeError, ValueError):
            category_id = None
        if category_id is None or (category_ids is None and db.session.get(Category, category_id) is None) or (
                category_ids is not None and category_id not in category_ids.values()):
            errors["category"] = [str(_l("Choose a product category"))]
        cleaned["category_id"] = category_id
    elif not partial or "category" in data:
        slug = "" if data.get("category") is None else str(data["category"]).strip()
        if category_ids is not None:
            category_id = category_ids.get(slug)
        else:
            category_id = db.session.scalar(sa.select(Category.id).where(Category.slug == slug)) if slug else None
        if category_id is None:
            errors["category"] = [str(_l("Unknown category “%(slug)s”", slug=slug) if slug
                                      else _l("Choose a product category"))]
        cleaned["category_id"] = category_id
    return cleaned, errors


def clean_certificate_claim(data: Mapping) -> tuple[dict, dict]:
    """Validate a certificate claim: stars, certificate_no, level, issued_on, optional expires_on."""
    cleaned: dict = {}
    errors: dict[str, list[str]] = {}
    stars = _apply(check_stars, data, "stars", cleaned, errors)
    _apply(check_certificate_no, data, "certificate_no", cleaned, errors)
    _apply(check_level, data, "level", cleaned, errors, stars)
    issued_on = _apply(check_issued_on, data, "issued_on", cleaned, errors)
    _apply(check_expires_on, data, "expires_on", cleaned, errors, issued_on)
    return cleaned, errors
