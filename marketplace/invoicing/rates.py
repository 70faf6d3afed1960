"""VAT rates per OCOP group from a date (data in vat_rates.csv, with sources; admins edit them)."""
from __future__ import annotations

from flask_babel import gettext

import csv
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from ..catalog.models import Category
from ..errors import ValidationFailed
from ..extensions import db
from ..validators import clean_text, parse_date
from .models import VAT_RATES, VatRate

CSV_PATH = Path(__file__).with_name("vat_rates.csv")
SHIPPING = "shipping"


def seed_rates() -> int:
    """Add the CSV's rows the table lacks (an admin's edits stay). Returns how many were added."""
    have = {(r.category_slug, r.valid_from) for r in db.session.scalars(sa.select(VatRate))}
    added = 0
    with CSV_PATH.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            key = (row["category_slug"], date.fromisoformat(row["valid_from"]))
            if key not in have:
                db.session.add(VatRate(category_slug=key[0], valid_from=key[1], rate=row["rate"],
                                       source=row["source"]))
                added += 1
    db.session.commit()
    return added


def all_rates() -> list[VatRate]:
    return list(db.session.scalars(sa.select(VatRate).order_by(VatRate.category_slug, VatRate.valid_from)))


def rate_table() -> dict[str, list[tuple[date, str]]]:
    table: dict[str, list[tuple[date, str]]] = {}
    for row in all_rates():
        table.setdefault(row.category_slug, []).append((row.valid_from, row.rate))
    return table


def rate_on(table: dict[str, list[tuple[date, str]]], slugs, day: date) -> str | None:
    """The rate for the first of `slugs` (most specific first) that has one on `day`."""
    for slug in slugs:
        found = [rate for start, rate in table.get(slug, ()) if start <= day]
        if found:
            return found[-1]
    return None


def set_rate(actor, category_slug, valid_from, rate, source) -> VatRate:
    """Add or replace the rate of a category from a date (admin page)."""
    errors: dict[str, list[str]] = {}
    slug = str(category_slug or "").strip()
    if not slug or len(slug) > 80:
        errors["category_slug"] = [gettext("Choose a product group")]
    try:
        start = parse_date(valid_from)
    except ValueError:
        errors["valid_from"], start = [gettext("Invalid date")], None
    rate = str(rate or "").strip().rstrip("%").upper()
    if rate not in VAT_RATES:
        errors["rate"] = [gettext("The rate is 0, 5, 8, 10 or KCT")]
    try:
        source = clean_text(source)
    except ValueError as exc:
        errors["source"], source = [str(exc)], ""
    if not source or len(source) > 500:
        errors["source"] = [gettext("Give the legal source, at most 500 characters")]
    if errors:
        raise ValidationFailed(gettext("Please check the rate"), fields=errors)
    row = db.session.scalar(sa.select(VatRate).where(VatRate.category_slug == slug, VatRate.valid_from == start))
    if row is None:
        row = VatRate(category_slug=slug, valid_from=start)
        db.session.add(row)
    row.rate, row.source, row.updated_by_id = rate, source, getattr(actor, "id", None)
    db.session.commit()
    return row


def category_slugs() -> list[str]:
    return [*db.session.scalars(sa.select(Category.slug).order_by(Category.parent_id.is_not(None), Category.position,
                                                                  Category.slug)), SHIPPING]
