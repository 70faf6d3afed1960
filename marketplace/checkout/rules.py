"""The one checkout validation: what a shopper types on the checkout page or sends to
`POST /checkout`.

The web form and the marshmallow schema only carry the values (and show `LENGTHS` to
browsers and in the OpenAPI document); `validate_details` and `validate_items` decide,
with messages that are Babel message ids translated in the current locale.

A phone number is required and an email address is optional: an order is tracked with
its code and phone number, and a guest who leaves no email simply gets no emails.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..accounts.services import normalise_email
from ..cart.services import MAX_LINE_QUANTITY
from ..errors import ValidationFailed
from ..payments.providers import methods as payment_methods
from ..validators import clean_text, normalise_phone

LENGTHS = {"full_name": 120, "phone": 30, "email": 254, "line1": 255, "ward": 120, "province": 120, "note": 1000}
MAX_ITEMS = 50  # lines in one `items` list of the API

REQUIRED = {
    "full_name": _l("Full name is required"),
    "line1": _l("Street address is required"),
    "ward": _l("Ward or commune is required"),
    "province": _l("Province or city is required"),
}


@dataclass(frozen=True)
class CheckoutDetails:
    full_name: str
    phone: str
    email: str | None
    line1: str
    ward: str
    province: str
    payment_method: str
    note: str = ""


def _too_long(limit: int) -> str:
    return str(_l("At most %(n)d characters", n=limit))


def validate_details(contact: Mapping, shipping_address: Mapping, payment_method: str,
                     note: str | None = None) -> CheckoutDetails:
    """Check and normalise everything the shopper typed; errors name each field
    (`contact.phone`, `shipping_address.ward`, …)."""
    errors: dict[str, list[str]] = {}
    contact = contact or {}
    address = shipping_address or {}

    def text(source: Mapping, key: str, prefix: str) -> str:
        try:
            value = " ".join(clean_text(source.get(key)).split())
        except ValueError as exc:
            errors[f"{prefix}.{key}"] = [str(exc)]
            return ""
        if not value:
            errors[f"{prefix}.{key}"] = [str(REQUIRED[key])]
        elif len(value) > LENGTHS[key]:
            errors[f"{prefix}.{key}"] = [_too_long(LENGTHS[key])]
        return value

    full_name = text(contact, "full_name", "contact")
    phone, email = "", None
    raw_phone = contact.get("phone")
    if raw_phone is None or not str(raw_phone).strip():
        errors["contact.phone"] = [str(_l("A phone number is required: your order is tracked with it"))]
    else:
        try:
            phone = normalise_phone(raw_phone)
        except ValueError as exc:
            errors["contact.phone"] = [str(exc)]
    raw_email = contact.get("email")
    if raw_email is not None and str(raw_email).strip():
        try:
            email = normalise_email(raw_email)
        except ValidationFailed:
            errors["contact.email"] = [str(_l("Invalid email address"))]
    line1 = text(address, "line1", "shipping_address")
    ward = text(address, "ward", "shipping_address")
    province = text(address, "province", "shipping_address")
    # The registered gateways' methods, named in alphabetical order as the API always has.
    if payment_method not in payment_methods():
        errors["payment_method"] = [str(_l("Choose a payment method: %(methods)s",
                                           methods=", ".join(sorted(payment_methods()))))]
    try:
        note = clean_text(note, multiline=True)
    except ValueError as exc:
        errors["note"], note = [str(exc)], ""
    if len(note) > LENGTHS["note"]:
        errors["note"] = [_too_long(LENGTHS["note"])]
    if errors:
        raise ValidationFailed(str(_l("Please check the order details")), fields=errors)
    return CheckoutDetails(full_name, phone, email, line1, ward, province, payment_method, note)


def validate_items(items) -> dict[int, int]:
    """[{product_id, quantity}] (or {product_id: quantity}) -> {product_id: quantity}, merging repeats."""
    pairs = items.items() if isinstance(items, Mapping) else ((i.get("product_id"), i.get("quantity"))
                                                              for i in items or ())
    quantities: dict[int, int] = {}
    for pid, qty in pairs:
        if isinstance(pid, bool) or not isinstance(pid, int) or isinstance(qty, bool) or not isinstance(qty, int) \
                or pid <= 0 or qty <= 0:
            raise ValidationFailed(str(_l("Invalid product or quantity")),
                                   fields={"items": ["product_id, quantity ≥ 1"]})
        quantities[pid] = quantities.get(pid, 0) + qty
    if not quantities:
        message = str(_l("The cart is empty"))
        raise ValidationFailed(message, code="cart_empty", fields={"items": [message]})
    if any(qty > MAX_LINE_QUANTITY for qty in quantities.values()):
        raise ValidationFailed(str(_l("At most %(n)d of one product", n=MAX_LINE_QUANTITY)),
                               fields={"items": [f"quantity ≤ {MAX_LINE_QUANTITY}"]})
    return quantities
