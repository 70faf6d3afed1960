"""Traceability rules: lots, the product's GTIN, Digital Links and their signatures, scans, passports, recalls.

No request objects here. A seller's functions take the acting member's producer id and
filter by it, so another producer's product or lot raises `NotFound` (HTTP 404).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import date

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _

from .. import audit
from ..catalog.models import Locality, Product
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..mail.language import send_in
from ..timeutil import local_today, utcnow
from ..validators import parse_date
from .gtin import normalise_gtin
from .models import LOT_CODE_MAX, LineLot, Lot

# GS1's AI (10) allows more characters, but these need no escaping in a URL or on a label.
LOT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,%d}$" % (LOT_CODE_MAX - 1))
MAX_QUANTITY = 10_000_000
MAX_LIST_ITEMS = 30
MAX_ITEM_LENGTH = 200
MAX_REASON_LENGTH = 1000
# A genuine label is scanned a few times (shop, buyer, family); far more scans than the lot
# has units suggests its labels were copied.
PLAUSIBLE_SCANS_PER_UNIT = 3
PLAUSIBLE_SCANS_MIN = 20
SIGNATURE_BYTES = 8  # 64 bits, 11 characters in the QR: short enough for a small label


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


FIELDS = ("code", "produced_on", "best_before", "quantity", "origin", "process", "inputs")


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


# --------------------------------------------------------------------------- Digital Link

def signature(lot_id: int) -> str:
    """The label's short signature of a lot: an HMAC keyed by the app's SECRET_KEY."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"gs1-digital-link:lot:{lot_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:SIGNATURE_BYTES]).rstrip(b"=").decode()


def signature_valid(lot_id: int, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(signature(lot_id), str(given))


def digital_link(lot: Lot, signed: bool = False) -> str:
    """The lot's GS1 Digital Link: /01/{GTIN-14}/10/{lot} with a GTIN, else /p/{slug}/10/{lot}."""
    extra = {"s": signature(lot.id)} if signed else {}
    product = lot.product
    if product.gtin:
        return url_for("traceability.resolve_gtin", gtin=product.gtin, code=lot.code, _external=True, **extra)
    return url_for("traceability.resolve_slug", slug=product.slug, code=lot.code, _external=True, **extra)


def resolve(code: str, gtin: str | None = None, slug: str | None = None) -> Lot | None:
    query = sa.select(Lot).join(Product, Product.id == Lot.product_id).where(Lot.code == code)
    if gtin is not None:
        if len(gtin) != 14 or not gtin.isdigit():
            return None
        query = query.where(Product.gtin == gtin)
    else:
        query = query.where(Product.slug == slug)
    return db.session.scalar(query)


def record_scan(lot_id: int) -> None:
    """Count one scan in a single UPDATE, so concurrent scans never lose a count; the first
    scan's time is set once."""
    now = utcnow()
    db.session.execute(sa.update(Lot).where(Lot.id == lot_id).values(
        scan_count=Lot.scan_count + 1, first_scanned_at=sa.func.coalesce(Lot.first_scanned_at, now),
        last_scanned_at=now).execution_options(synchronize_session=False))
    db.session.commit()


# --------------------------------------------------------------------------- passport

def certificate_status(product: Product) -> tuple[int | None, str]:
    """(stars, status): status `live`, `expired`, `unverified` or `none`."""
    cert = product.certificate
    if cert is None:
        return None, "none"
    if not cert.verified or cert.rejected_reason:
        return None, "unverified"
    return cert.stars, ("live" if cert.is_live() else "expired")


def warnings(lot: Lot) -> list[dict]:
    found = []
    if lot.recalled:
        found.append({"code": "recalled", "message": _("This lot has been recalled: do not eat or use it. "
                                                         "Reason: %(reason)s", reason=lot.recall_reason)})
    if lot.best_before < local_today():
        found.append({"code": "past_best_before", "message": _("This lot is past its best-before date.")})
    if lot.scan_count > max(PLAUSIBLE_SCANS_MIN, PLAUSIBLE_SCANS_PER_UNIT * lot.quantity):
        found.append({"code": "implausible_scans", "message": _(
            "This code was scanned far more often than the lot has units: its labels may have been copied.")})
    return found


def passport(lot: Lot) -> dict:
    """Everything a passport shows, in the shape of the public JSON."""
    from ..timeutil import isoformat_local

    product = lot.product
    producer = product.producer
    stars, status = certificate_status(product)
    cert = product.certificate
    locality = producer.locality
    return {
        "id": lot.id,
        "code": lot.code,
        "product": {"id": product.id, "slug": product.slug, "name": product.name, "unit": product.unit,
                    "gtin": product.gtin},
        "producer": {"id": producer.id, "name": producer.name, "kind": producer.kind},
        "locality": {"slug": locality.slug, "name": locality.name, "region": locality.region},
        "ocop": {"stars": stars, "status": status,
                 "certificate_no": cert.certificate_no if cert is not None and stars else None,
                 "expires_on": cert.expires_on.isoformat() if cert is not None and stars else None},
        "produced_on": lot.produced_on.isoformat(),
        "best_before": lot.best_before.isoformat(),
        "quantity": lot.quantity,
        "origin": ({"ward_code": lot.origin.slug, "name": lot.origin.name} if lot.origin else None),
        "process": list(lot.process or []),
        "inputs": list(lot.inputs or []),
        "scans": {"count": lot.scan_count, "first_at": isoformat_local(lot.first_scanned_at)},
        "digital_link": digital_link(lot),
        "recalled": lot.recalled,
        "recall": ({"at": isoformat_local(lot.recalled_at), "reason": lot.recall_reason} if lot.recalled else None),
        "warnings": warnings(lot),
        **_files_of(lot.id),
    }


def _files_of(lot_id: int) -> dict:
    files = [file_dict(item) for item in lot_files(lot_id)]
    return {"documents": [f for f in files if f["kind"] == "document"],
            "photos": [f for f in files if f["kind"] == "photo"]}


# --------------------------------------------------------------------------- recall

def recall(lot: Lot, actor, reason) -> Lot:
    """Recall the lot (once): its passport warns at once."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > MAX_REASON_LENGTH:
        message = _("Give the reason for the recall (at most %(n)d characters).", n=MAX_REASON_LENGTH)
        raise ValidationFailed(message, fields={"reason": [message]})
    # Conditional so that two recalls at once record one reason, not the last writer's.
    result = db.session.execute(sa.update(Lot).where(Lot.id == lot.id, Lot.recalled_at.is_(None)).values(
        recalled_at=utcnow(), recall_reason=text, recalled_by_id=getattr(actor, "id", None))
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("This lot has already been recalled."), code="already_recalled")
    told = _tell_buyers(lot, text)
    # The audit row is where the admin sees who was told.
    audit.record(actor, "lot.recall", "lot", lot.id, after={"reason": text, "buyers_emailed": told})
    db.session.commit()
    db.session.refresh(lot)
    return lot


def buyers_of(lot_id: int) -> dict[str, str]:
    """The contact email of every order that has a line shipped from the lot, once each, with the
    language of the buyer's latest such order."""
    from ..orders.models import Order, OrderLine, OrderPart

    rows = db.session.execute(
        sa.select(Order.contact_email, Order.contact_lang).join(OrderPart, OrderPart.order_id == Order.id)
        .join(OrderLine, OrderLine.part_id == OrderPart.id).join(LineLot, LineLot.order_line_id == OrderLine.id)
        .where(LineLot.lot_id == lot_id, Order.contact_email.is_not(None)).order_by(Order.id))
    buyers = {email: lang for email, lang in rows if email}
    return dict(sorted(buyers.items()))


def _tell_buyers(lot: Lot, reason: str) -> list[str]:
    """One email per buyer of the lot, in the buyer's language, through the outbox in the recall's
    transaction."""
    buyers = buyers_of(lot.id)
    link = url_for("traceability.passport", lot_id=lot.id, _external=True)
    for email, lang in buyers.items():
        send_in(lang, email, lambda: (
            _("Recall: %(product)s, lot %(code)s", product=lot.product.name, code=lot.code),
            _("The producer or the OCOP office has recalled lot %(code)s of %(product)s, which you bought "
              "on the OCOP Marketplace. Do not eat or use it.\n\nReason: %(reason)s\n\nPassport: %(link)s",
              code=lot.code, product=lot.product.name, reason=reason, link=link)))
    return list(buyers)


# --------------------------------------------------------------------------- orders' lots

SHIPPED_PART = ("shipped", "delivered")


def _allocated(lot_ids, exclude_lines=()) -> dict[int, int]:
    """Units of each lot already recorded on order lines (other than `exclude_lines`)."""
    if not lot_ids:
        return {}
    query = sa.select(LineLot.lot_id, sa.func.sum(LineLot.quantity)).where(LineLot.lot_id.in_(list(lot_ids)))
    if exclude_lines:
        query = query.where(LineLot.order_line_id.not_in(list(exclude_lines)))
    return {lot_id: int(total or 0) for lot_id, total in db.session.execute(query.group_by(LineLot.lot_id))}


def shipping_choices(producer_id: int, part) -> dict[int, list[dict]]:
    """For each line of the part: the product's usable lots (not recalled, not past best-before),
    oldest best-before first, with the units still free and the suggested units (first expiring,
    first out) -> {line_id: [{lot, free, suggested}]}."""
    lines = list(part.lines)
    product_ids = {line.product_id for line in lines}
    if not product_ids:
        return {}
    lots = db.session.scalars(sa.select(Lot).where(
        Lot.producer_id == producer_id, Lot.product_id.in_(product_ids), Lot.recalled_at.is_(None),
        Lot.best_before >= local_today()).order_by(Lot.best_before, Lot.produced_on, Lot.id)).all()
    used = _allocated([lot.id for lot in lots], [line.id for line in lines])
    free = {lot.id: lot.quantity - used.get(lot.id, 0) for lot in lots}
    choices: dict[int, list[dict]] = {}
    for line in lines:
        need = line.quantity
        rows = []
        for lot in lots:
            if lot.product_id != line.product_id:
                continue
            take = max(0, min(need, free[lot.id]))
            need -= take
            free[lot.id] -= take
            rows.append({"lot": lot, "free": free[lot.id] + take, "suggested": take})
        choices[line.id] = rows
    return choices


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def clean_line_lots(producer_id: int, part, lines) -> dict[int, dict[int, int]]:
    """Check what the producer says each line of its part was shipped from; nothing is written.

    `lines`: [{line_id, lots: [{lot_id, quantity}]}] (or `lot_ids: [id]`, one lot for the whole
    line). Each listed line's units must add up to the line's quantity, from the producer's
    lots of the line's product that are not recalled, without taking more than a lot has left.
    Returns {line_id: {lot_id: units}}.
    """
    if not isinstance(lines, list) or not all(isinstance(item, Mapping) for item in lines):
        raise ValidationFailed(_("Invalid input."), fields={"lines": [_("Must be a list of {line_id, lots}.")]})
    part_lines = {line.id: line for line in part.lines}
    errors: list[str] = []
    wanted: dict[int, dict[int, int]] = {}
    for item in lines:
        line = part_lines.get(_int(item.get("line_id")))
        if line is None:
            errors.append(_("Line %(id)s is not in this order part.", id=item.get("line_id")))
            continue
        if "lots" in item:
            raw = item.get("lots")
            if not isinstance(raw, list) or not all(isinstance(x, Mapping) for x in raw):
                errors.append(_("Line %(id)s: lots must be a list of {lot_id, quantity}.", id=line.id))
                continue
            pairs = [(_int(x.get("lot_id", x.get("id"))), _int(x.get("quantity"))) for x in raw]
        else:
            raw = item.get("lot_ids")
            if not isinstance(raw, list) or any(_int(x) is None for x in raw) or len(raw) > 1:
                errors.append(_("Line %(id)s: give lots as [{lot_id, quantity}].", id=line.id))
                continue
            pairs = [(_int(x), line.quantity) for x in raw]
        if any(lot_id is None or quantity is None or quantity < 1 for lot_id, quantity in pairs):
            errors.append(_("Line %(id)s: each lot needs its id and a whole number of units.", id=line.id))
            continue
        units: dict[int, int] = {}
        for lot_id, quantity in pairs:
            units[lot_id] = units.get(lot_id, 0) + quantity
        if units and sum(units.values()) != line.quantity:
            errors.append(_("Line %(id)s: the lots' units (%(given)d) must add up to the line's quantity "
                            "(%(quantity)d).", id=line.id, given=sum(units.values()), quantity=line.quantity))
            continue
        lots = {lot.id: lot for lot in db.session.scalars(sa.select(Lot).where(
            Lot.id.in_(list(units)), Lot.producer_id == producer_id, Lot.product_id == line.product_id))}
        if set(lots) != set(units):
            errors.append(_("Line %(id)s: a lot is not a lot of this product.", id=line.id))
            continue
        if any(lot.recalled for lot in lots.values()):
            errors.append(_("Line %(id)s: a recalled lot cannot be shipped.", id=line.id))
            continue
        wanted[line.id] = units
    if not errors:
        used = _allocated({lot_id for units in wanted.values() for lot_id in units}, list(wanted))
        taken: dict[int, int] = {}
        for units in wanted.values():
            for lot_id, quantity in units.items():
                taken[lot_id] = taken.get(lot_id, 0) + quantity
        for lot in db.session.scalars(sa.select(Lot).where(Lot.id.in_(list(taken)))):
            if used.get(lot.id, 0) + taken[lot.id] > lot.quantity:
                errors.append(_("Lot %(code)s has only %(left)d units left.", code=lot.code,
                                left=max(0, lot.quantity - used.get(lot.id, 0))))
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields={"lines": errors})
    return wanted


def write_line_lots(part, actor, wanted: dict[int, dict[int, int]]) -> None:
    """Replace the listed lines' lots (in the caller's transaction)."""
    if not wanted:
        return
    db.session.execute(sa.delete(LineLot).where(LineLot.order_line_id.in_(list(wanted))))
    db.session.add_all(LineLot(order_line_id=line_id, lot_id=lot_id, quantity=quantity)
                       for line_id, units in wanted.items() for lot_id, quantity in units.items())
    audit.record(actor, "order_part.lots", "order_part", part.id,
                 after={str(line_id): units for line_id, units in wanted.items()})


def assign_line_lots(producer_id: int, part_id: int, actor, lines) -> list[dict]:
    """Record which of the producer's lots each line of its order part was shipped from.

    Another producer's part is a 404; see `clean_line_lots` for the rules.
    """
    from ..orders.models import OrderPart

    part = db.session.scalar(sa.select(OrderPart).where(OrderPart.id == part_id,
                                                        OrderPart.producer_id == producer_id))
    if part is None:
        raise NotFound(_("Order part not found."))
    write_line_lots(part, actor, clean_line_lots(producer_id, part, lines))
    db.session.commit()
    return line_lots(part.id)


def lots_by_line(line_ids) -> dict[int, list[dict]]:
    """{line_id: [{id, code, quantity, passport_url}]} in one query (orders' lines show them)."""
    if not line_ids:
        return {}
    rows = db.session.execute(sa.select(LineLot.order_line_id, Lot.id, Lot.code, LineLot.quantity)
                              .join(Lot, Lot.id == LineLot.lot_id)
                              .where(LineLot.order_line_id.in_(list(line_ids))).order_by(Lot.best_before, Lot.id))
    found: dict[int, list[dict]] = {}
    for line_id, lot_id, code, quantity in rows:
        found.setdefault(line_id, []).append({"id": lot_id, "code": code, "quantity": quantity,
                                              "passport_url": url_for("traceability.passport", lot_id=lot_id)})
    return found


def line_lots(part_id: int) -> list[dict]:
    """[{line_id, product_id, lots [{id, code, quantity}]}] for every line of the part."""
    from ..orders.models import OrderLine

    lines = db.session.scalars(sa.select(OrderLine).where(OrderLine.part_id == part_id).order_by(OrderLine.id)).all()
    by_line = lots_by_line([line.id for line in lines])
    return [{"line_id": line.id, "product_id": line.product_id,
             "lots": [{"id": x["id"], "code": x["code"], "quantity": x["quantity"]} for x in by_line.get(line.id, [])]}
            for line in lines]


# --------------------------------------------------------------------------- admin: recalls

def recalls(page: int = 1, per_page: int = 20) -> tuple[list[dict], int]:
    """Recalled lots, newest first, each with who recalled it and the buyers emailed (from the
    recall's audit row): [{lot, by, buyers}] in three queries whatever the page size."""
    import json

    from ..audit import AuditEntry

    where = Lot.recalled_at.is_not(None)
    total = db.session.scalar(sa.select(sa.func.count(Lot.id)).where(where)) or 0
    lots = db.session.scalars(sa.select(Lot).where(where).order_by(Lot.recalled_at.desc(), Lot.id.desc())
                              .limit(per_page).offset((max(page, 1) - 1) * per_page)).unique().all()
    entries = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "lot.recall", AuditEntry.object_type == "lot",
        AuditEntry.object_id.in_([str(lot.id) for lot in lots]))).all() if lots else []
    by_lot = {entry.object_id: entry for entry in entries}
    rows = []
    for lot in lots:
        entry = by_lot.get(str(lot.id))
        after = json.loads(entry.after) if entry is not None and entry.after else {}
        rows.append({"lot": lot, "by": entry.actor if entry is not None else None,
                     "buyers": list(after.get("buyers_emailed", []))})
    return rows, total


# --------------------------------------------------------------------------- suspected fakes

MAX_REPORT_LENGTH = 2000
MAX_REPORT_FIELD = 200


def report_fake(lot: Lot, data: Mapping) -> "FakeReport":
    """A passport visitor reports a suspected fake of the lot (the view rate-limits it)."""
    from .models import FakeReport

    def text(name: str, limit: int, required: bool = False) -> str:
        raw = data.get(name)
        value = raw.strip() if isinstance(raw, str) else ""
        if required and not value:
            errors[name] = [_("This field is required.")]
        elif len(value) > limit:
            errors[name] = [_("At most %(n)d characters.", n=limit)]
        return value

    errors: dict = {}
    message = text("message", MAX_REPORT_LENGTH, required=True)
    place = text("place", MAX_REPORT_FIELD)
    contact = text("contact", MAX_REPORT_FIELD)
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=errors)
    report = FakeReport(lot_id=lot.id, message=message, place=place, contact=contact)
    db.session.add(report)
    db.session.commit()
    return report


def fake_reports(status: str = "open", page: int = 1, per_page: int = 20) -> tuple[list, int]:
    """The admin's queue: open (default) or resolved reports, newest first (two queries)."""
    from .models import FakeReport

    where = FakeReport.resolved_at.is_(None) if status != "resolved" else FakeReport.resolved_at.is_not(None)
    total = db.session.scalar(sa.select(sa.func.count(FakeReport.id)).where(where)) or 0
    items = db.session.scalars(sa.select(FakeReport).where(where).order_by(FakeReport.created_at.desc(),
                                                                           FakeReport.id.desc())
                               .limit(per_page).offset((max(page, 1) - 1) * per_page)).unique().all()
    return list(items), total


def resolve_fake_report(report_id: int, actor) -> None:
    from .models import FakeReport

    report = db.session.get(FakeReport, report_id)
    if report is None:
        raise NotFound(_("Report not found."))
    if report.resolved_at is None:
        report.resolved_at = utcnow()
        audit.record(actor, "fake_report.resolve", "fake_report", report.id, after={"lot_id": report.lot_id})
        db.session.commit()


# --------------------------------------------------------------------------- documents and photos

FILE_KINDS = ("document", "photo")
MAX_FILES_PER_LOT = 12
MAX_TITLE_LENGTH = 120


def lot_files(lot_id: int) -> list:
    from .models import LotFile

    return list(db.session.scalars(sa.select(LotFile).where(LotFile.lot_id == lot_id)
                                   .order_by(LotFile.kind, LotFile.id)))


def add_lot_file(lot: Lot, actor, kind, data: bytes, title=None):
    """A document (VietGAP/organic certificate, test report: a photo or a plain PDF, checked like
    certificate scans) or a photo of the lot, stored under a fresh key and shown on its passport."""
    from ..storage import get_storage, new_key
    from ..uploads import check_document, process_image
    from .models import LotFile

    if kind not in FILE_KINDS:
        message = _("Kind: document or photo.")
        raise ValidationFailed(message, fields={"kind": [message]})
    title = title.strip() if isinstance(title, str) else ""
    if len(title) > MAX_TITLE_LENGTH:
        message = _("At most %(n)d characters.", n=MAX_TITLE_LENGTH)
        raise ValidationFailed(message, fields={"title": [message]})
    count = db.session.scalar(sa.select(sa.func.count(LotFile.id)).where(LotFile.lot_id == lot.id)) or 0
    if count >= MAX_FILES_PER_LOT:
        message = _("A lot may have at most %(n)d documents and photos.", n=MAX_FILES_PER_LOT)
        raise ValidationFailed(message, fields={"file": [message]})
    storage = get_storage()
    prefix = f"lots/{lot.id}"
    if kind == "photo":
        image = process_image(data, "file")
        key, thumb = new_key(prefix, image.extension), new_key(prefix, image.extension)
        storage.save(key, image.web, image.content_type)
        storage.save(thumb, image.thumb, image.content_type)
    else:
        body, extension, content_type = check_document(data, "file")
        key, thumb = new_key(prefix, extension), None
        storage.save(key, body, content_type)
    item = LotFile(lot_id=lot.id, kind=kind, title=title, key=key, thumb_key=thumb)
    db.session.add(item)
    db.session.flush()
    audit.record(actor, "lot.file_add", "lot", lot.id, after={"file_id": item.id, "kind": kind, "title": title})
    db.session.commit()
    return item


def remove_lot_file(lot: Lot, actor, file_id: int) -> None:
    from ..storage import get_storage
    from .models import LotFile

    item = db.session.scalar(sa.select(LotFile).where(LotFile.id == file_id, LotFile.lot_id == lot.id))
    if item is None:
        raise NotFound(_("File not found."))
    keys = [k for k in (item.key, item.thumb_key) if k]
    db.session.delete(item)
    audit.record(actor, "lot.file_remove", "lot", lot.id, after={"file_id": file_id})
    db.session.commit()
    storage = get_storage()
    for key in keys:
        storage.delete(key)


def file_dict(item) -> dict:
    from ..storage import media_url

    return {"id": item.id, "kind": item.kind, "title": item.title, "url": media_url(item.key),
            "thumb_url": media_url(item.thumb_key)}


# --------------------------------------------------------------------------- coverage indicator

def coverage() -> dict:
    """Share of active products with a current lot passport (a lot neither recalled nor past its
    best-before), for the province, by locality (the producer's region) and by product group
    (top-level category). Two queries."""
    from ..catalog.models import Category, Producer

    today = local_today()
    current = sa.exists().where(Lot.product_id == Product.id, Lot.recalled_at.is_(None), Lot.best_before >= today)
    group_id = sa.func.coalesce(Category.parent_id, Category.id)
    rows = db.session.execute(
        sa.select(Locality.region_slug, Locality.region, group_id, sa.func.count(Product.id),
                  sa.func.sum(sa.case((current, 1), else_=0)))
        .join(Producer, Producer.id == Product.producer_id).join(Locality, Locality.id == Producer.locality_id)
        .join(Category, Category.id == Product.category_id).where(Product.status == "active")
        .group_by(Locality.region_slug, Locality.region, group_id)).all()
    groups = {gid: (slug, vi, en) for gid, slug, vi, en in db.session.execute(
        sa.select(Category.id, Category.slug, Category.name_vi, Category.name_en).where(Category.parent_id.is_(None)))}
    by_region: dict[str, dict] = {}
    by_group: dict[str, dict] = {}
    total = {"products": 0, "with_passport": 0}
    for region_slug, region, gid, products, covered in rows:
        covered = int(covered or 0)
        slug, vi, en = groups.get(gid, (str(gid), str(gid), str(gid)))
        for bucket, key, base in ((by_region, region_slug, {"slug": region_slug, "name": region}),
                                  (by_group, slug, {"slug": slug, "name_vi": vi, "name_en": en})):
            row = bucket.setdefault(key, {**base, "products": 0, "with_passport": 0})
            row["products"] += products
            row["with_passport"] += covered
        total["products"] += products
        total["with_passport"] += covered

    def share(row: dict) -> dict:
        row["share_percent"] = round(100 * row["with_passport"] / row["products"], 1) if row["products"] else None
        return row

    def ordered(bucket: dict) -> list[dict]:
        return sorted((share(row) for row in bucket.values()), key=lambda r: (-(r["share_percent"] or 0), r["slug"]))

    return {"as_of": today.isoformat(), "definition": "active products with a lot that is neither recalled nor "
                                                      "past its best-before",
            "total": share(total), "by_locality": ordered(by_region), "by_group": ordered(by_group)}
