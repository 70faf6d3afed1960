"""A producer's lots of its products and the product's GTIN: lookups, validation, writes.

No request objects here. A seller's functions take the acting member's producer id and
filter by it, so another producer's product or lot raises `NotFound` (HTTP 404).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import audit
from ..catalog.models import Locality, Product
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..timeutil import local_today
from ..validators import parse_date
from .gtin import normalise_gtin
from .models import LOT_CODE_MAX, Lot

# GS1's AI (10) allows more characters, but these need no escaping in a URL or on a label.
LOT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,%d}$" % (LOT_CODE_MAX - 1))
MAX_QUANTITY = 10_000_000
MAX_LIST_ITEMS = 30
MAX_ITEM_LENGTH = 200


# --------------------------------------------------------------------------- lookups (scoped)

def get_product(producer_id: int, product_id: int) -> Product:
    product = db.session.scalar(sa.select(Product).where(Product.id == product_id,
                                                         Product.producer_id == producer_id))
    if product is None:
        raise NotFound(_("Product not found."))
    return product


def get_lot(producer_id: int, lot_id: int) -> Lot:
    lot = db.session.scalar(sa.select(Lot).where(Lot.id == lot_id, Lot.producer_id == producer_id))
    if lot is None:
        raise NotFound(_("Lot not found."))
    return lot


def get_public_lot(lot_id: int) -> Lot:
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound(_("Lot not found."))
    return lot


def list_lots(producer_id: int, product_id: int, page: int = 1, per_page: int = 20) -> tuple[list[Lot], int]:
    product = get_product(producer_id, product_id)
    where = (Lot.product_id == product.id, Lot.producer_id == producer_id)
    total = db.session.scalar(sa.select(sa.func.count(Lot.id)).where(*where)) or 0
    items = db.session.scalars(sa.select(Lot).where(*where).order_by(Lot.produced_on.desc(), Lot.id.desc())
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return list(items), total


def origin_choices() -> list[Locality]:
    return list(db.session.scalars(sa.select(Locality).order_by(Locality.region, Locality.name)))


# --------------------------------------------------------------------------- validation

def _date(data: Mapping, name: str, errors: dict) -> date | None:
    raw = data.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors[name] = [_("This field is required.")]
        return None
    try:
        return parse_date(raw)
    except ValueError:
        errors[name] = [_("Not a valid date (YYYY-MM-DD or DD/MM/YYYY).")]
        return None


def _lines(data: Mapping, name: str, errors: dict) -> list[str] | None:
    """A list of short texts: a JSON list, or one item per line from a form."""
    raw = data.get(name)
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = raw.splitlines()
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        errors[name] = [_("Must be a list of texts.")]
        return None
    items = [item.strip() for item in raw if item.strip()]
    if len(items) > MAX_LIST_ITEMS:
        errors[name] = [_("At most %(n)d entries.", n=MAX_LIST_ITEMS)]
        return None
    if any(len(item) > MAX_ITEM_LENGTH for item in items):
        errors[name] = [_("Each entry may have at most %(n)d characters.", n=MAX_ITEM_LENGTH)]
        return None
    return items


def _origin(data: Mapping, errors: dict) -> tuple[bool, int | None]:
    """(given, locality id) from `origin {ward_code}`, `origin` (a code) or the form's `origin_ward_code`."""
    if "origin" in data:
        raw = data["origin"]
        code = raw.get("ward_code") if isinstance(raw, Mapping) else raw
    elif "origin_ward_code" in data:
        code = data["origin_ward_code"]
    else:
        return False, None
    if code is None or code == "":
        return True, None
    if not isinstance(code, str):
        errors["origin"] = [_("Choose a commune or ward of the province.")]
        return True, None
    locality_id = db.session.scalar(sa.select(Locality.id).where(Locality.slug == code.strip()))
    if locality_id is None:
        errors["origin"] = [_("Unknown commune or ward: choose one of the province's list.")]
    return True, locality_id


def _quantity(data: Mapping, errors: dict) -> int | None:
    raw = data.get("quantity")
    if raw is None or raw == "":
        errors["quantity"] = [_("This field is required.")]
        return None
    if isinstance(raw, bool) or isinstance(raw, float):
        errors["quantity"] = [_("Must be a whole number.")]
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        errors["quantity"] = [_("Must be a whole number.")]
        return None
    if not 1 <= value <= MAX_QUANTITY:
        errors["quantity"] = [_("Must be between %(low)d and %(high)d.", low=1, high=MAX_QUANTITY)]
        return None
    return value

def _clean(data: Mapping, lot: Lot | None) -> dict:
    """The lot's new values from `data` (all fields when creating, those given when editing)."""
    if not isinstance(data, Mapping):
        raise ValidationFailed(_("Invalid input."))
    errors: dict = {}
    values: dict = {}
    partial = lot is not None

    def wanted(name: str) -> bool:
        return not partial or name in data

    if wanted("code"):
        code = data.get("code")
        code = code.strip() if isinstance(code, str) else ""
        if not LOT_CODE.match(code):
            errors["code"] = [_("Lot code: 1 to %(n)d letters, digits, dots, dashes or underscores.",
                                n=LOT_CODE_MAX)]
        else:
            values["code"] = code
    for name in ("produced_on", "best_before"):
        if wanted(name):
            value = _date(data, name, errors)
            if value is not None:
                values[name] = value
    if wanted("quantity"):
        value = _quantity(data, errors)
        if value is not None:
            values["quantity"] = value
    given, locality_id = _origin(data, errors)
    if given:
        values["origin_locality_id"] = locality_id
    for name in ("process", "inputs"):
        if wanted(name):
            items = _lines(data, name, errors)
            if items is not None:
                values[name] = items
    produced = values.get("produced_on", lot.produced_on if lot else None)
    best_before = values.get("best_before", lot.best_before if lot else None)
    if "produced_on" in values and produced > local_today():
        errors["produced_on"] = [_("The production date cannot be in the future.")]
    if produced and best_before and "produced_on" not in errors and "best_before" not in errors \
            and best_before < produced:
        errors["best_before"] = [_("Best-before cannot be earlier than the production date.")]
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=errors)
    return values


def _code_taken(product_id: int, code: str, lot_id: int | None) -> bool:
    query = sa.select(Lot.id).where(Lot.product_id == product_id, Lot.code == code)
    if lot_id is not None:
        query = query.where(Lot.id != lot_id)
    return db.session.scalar(query) is not None


def _duplicate() -> ValidationFailed:
    message = _("This product already has a lot with this code.")
    return ValidationFailed(message, fields={"code": [message]})


def _commit_lot(lot: Lot) -> Lot:
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # two requests recording the same code at once
        db.session.rollback()
        raise _duplicate() from None
    return lot


# --------------------------------------------------------------------------- lots and GTIN

def create_lot(producer_id: int, product_id: int, actor, data: Mapping) -> Lot:
    product = get_product(producer_id, product_id)
    values = _clean(data, None)
    if _code_taken(product.id, values["code"], None):
        raise _duplicate()
    lot = Lot(product_id=product.id, producer_id=producer_id, scan_count=0, **values)
    db.session.add(lot)
    db.session.flush()
    audit.record(actor, "lot.create", "lot", lot.id, after={"code": lot.code, "product_id": product.id})
    return _commit_lot(lot)


def update_lot(lot: Lot, actor, data: Mapping) -> Lot:
    values = _clean(data, lot)
    if "code" in values and _code_taken(lot.product_id, values["code"], lot.id):
        raise _duplicate()
    for name, value in values.items():
        setattr(lot, name, value)
    audit.record(actor, "lot.update", "lot", lot.id, after={k: str(v) for k, v in values.items()})
    return _commit_lot(lot)


def set_gtin(product: Product, actor, raw) -> Product:
    """Record (or with an empty value, remove) the product's GTIN, stored as GTIN-14."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        gtin = None
    else:
        try:
            gtin = normalise_gtin(raw if isinstance(raw, str) else "")
        except ValueError as exc:
            message = (_("The GTIN's check digit is wrong: check the number on the barcode.")
                       if str(exc) == "check digit" else _("A GTIN has 8, 12, 13 or 14 digits."))
            raise ValidationFailed(message, fields={"gtin": [message]}) from None
        if db.session.scalar(sa.select(Product.id).where(Product.gtin == gtin, Product.id != product.id)):
            message = _("Another product already has this GTIN.")
            raise ValidationFailed(message, fields={"gtin": [message]})
    before = product.gtin
    product.gtin = gtin
    audit.record(actor, "product.gtin", "product", product.id, before={"gtin": before}, after={"gtin": gtin})
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        message = _("Another product already has this GTIN.")
        raise ValidationFailed(message, fields={"gtin": [message]}) from None
    return product
