"""The invoice a buyer asks for at checkout, stored with the order, shown per part."""
from __future__ import annotations

from flask_babel import gettext

from collections.abc import Iterable, Mapping

import sqlalchemy as sa

from ..accounts.services import normalise_email
from ..errors import ValidationFailed
from ..extensions import db
from ..timeutil import utcnow
from ..validators import clean_text
from . import taxcode
from .models import REQUEST_KINDS, InvoiceRequest

LIMITS = {"name": 200, "address": 255}


def clean_request(data: Mapping | None, contact_email: str = "") -> dict | None:
    """The checked request, or None when none was asked for. Errors name `invoice.<field>`.

    company: name, tax_code (format and check digit), address, email; person: name, and
    optionally address and email (default: the order's contact email)."""
    if not data or not data.get("kind"):
        return None
    errors: dict[str, list[str]] = {}
    data = dict(data)
    for key in ("kind", "name", "tax_code", "address", "email"):
        if data.get(key) is not None and not isinstance(data[key], str):
            errors[f"invoice.{key}"], data[key] = [gettext("Must be text")], None
    kind = str(data.get("kind") or "").strip()
    if kind not in REQUEST_KINDS:
        errors["invoice.kind"] = [gettext("Choose company or person")]

    def text(key: str, required: bool) -> str:
        try:
            value = " ".join(clean_text(data.get(key)).split())
        except ValueError as exc:
            errors[f"invoice.{key}"] = [str(exc)]
            return ""
        if required and not value:
            errors[f"invoice.{key}"] = [gettext("Required")]
        elif len(value) > LIMITS[key]:
            errors[f"invoice.{key}"] = [gettext("At most %(n)s characters", n=LIMITS[key])]
        return value

    company = kind == "company"
    name = text("name", True)
    address = text("address", company)
    tax_code = None
    if company:
        try:
            tax_code = taxcode.validate(data.get("tax_code"))
        except ValueError as exc:
            errors["invoice.tax_code"] = [str(exc)]
    email = str(data.get("email") or "").strip() or ("" if company else contact_email)
    try:
        email = normalise_email(email)
    except ValidationFailed:
        errors["invoice.email"] = [gettext("Invalid email for the invoice")]
    if errors:
        raise ValidationFailed(gettext("Please check the invoice details"), fields=errors)
    return {"kind": kind, "name": name, "tax_code": tax_code, "address": address, "email": email}


def attach_request(order_id: int, cleaned: dict | None) -> None:
    """Store the request with a new order, in the checkout's transaction."""
    if not cleaned:
        return
    now = utcnow()
    db.session.connection().execute(sa.insert(InvoiceRequest.__table__).values(
        order_id=order_id, created_at=now, updated_at=now, **cleaned))


def request_for(order_id: int) -> InvoiceRequest | None:
    return db.session.scalar(sa.select(InvoiceRequest).where(InvoiceRequest.order_id == order_id))


def requests_for(order_ids: Iterable[int]) -> dict[int, InvoiceRequest]:
    ids = sorted(set(order_ids))
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(InvoiceRequest).where(InvoiceRequest.order_id.in_(ids)))
    return {row.order_id: row for row in rows}


def request_json(row: InvoiceRequest | None) -> dict | None:
    if row is None:
        return None
    return {"kind": row.kind, "name": row.name, "tax_code": row.tax_code, "address": row.address,
            "email": row.email}
