"""The address book: a user's delivery addresses, one of them the default (filled in at
checkout). Every function takes the owner: an address of another user is not found."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..validators import clean_text, normalise_phone
from . import divisions
from .models import Address, User

MAX_ADDRESSES = 20
FIELDS = ("full_name", "phone", "line1", "province_code", "ward_code", "is_default")


def list_addresses(user: User) -> list[Address]:
    """The default first, then the newest."""
    return list(db.session.scalars(sa.select(Address).where(Address.user_id == user.id)
                                   .order_by(Address.is_default.desc(), Address.id.desc())))


def default_address(user: User) -> Address | None:
    return db.session.scalar(sa.select(Address).where(Address.user_id == user.id, Address.is_default.is_(True)))


def get_address(user: User, address_id) -> Address:
    address = db.session.scalar(sa.select(Address).where(Address.id == address_id, Address.user_id == user.id)) \
        if isinstance(address_id, int) and 0 < address_id < 2**31 else None
    if address is None:
        raise NotFound(_("Address not found."))
    return address


def _lock_book(user: User) -> None:
    """One change to a user's address book at a time (the default, the count)."""
    db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())


def _text(data: dict, name: str, limit: int, errors: dict, missing: str) -> str | None:
    try:
        value = clean_text(data.get(name))
    except ValueError as exc:
        errors[name] = [str(exc)]
        return None
    if not value:
        errors[name] = [missing]
    elif len(value) > limit:
        errors[name] = [_("At most %(n)d characters.", n=limit)]
    return value


def _checked(data: dict, current: Address | None) -> dict:
    """The fields to write, validated; `current` gives what a partial update leaves as is."""
    errors: dict[str, list[str]] = {}
    merged = {} if current is None else {name: getattr(current, name) for name in FIELDS}
    merged.update({k: v for k, v in data.items() if k in FIELDS})
    out: dict = {}
    out["full_name"] = _text(merged, "full_name", 120, errors, _("Please enter the recipient's name."))
    try:
        out["phone"] = normalise_phone(merged.get("phone"))
    except ValueError:
        errors["phone"] = [_("Enter a Vietnamese phone number, e.g. 0912 345 678.")]
    out["line1"] = _text(merged, "line1", 200, errors, _("Please enter the house number and street."))
    province = divisions.province(merged.get("province_code"))
    if province is None:
        errors["province_code"] = [_("Choose a province or city.")]
    ward = divisions.ward(merged.get("ward_code"))
    if ward is None or (province is not None and ward["province_code"] != province["code"]):
        errors["ward_code"] = [_("Choose a commune, ward or special zone of this province.")]
    if errors:
        raise ValidationFailed(_("Invalid input"), fields=errors)
    out.update(province_code=province["code"], province_name=province["name"], ward_code=ward["code"],
               ward_name=ward["name"])
    if "is_default" in data:
        out["is_default"] = bool(data["is_default"])
    return out


def _make_default(user: User, address: Address) -> None:
    db.session.execute(sa.update(Address).where(Address.user_id == user.id, Address.id != address.id,
                                                Address.is_default.is_(True)).values(is_default=False))
    db.session.flush()
    address.is_default = True


def create_address(user: User, data: dict) -> Address:
    """Add an address; the first one, or one asked to be, becomes the default. Commits."""
    _lock_book(user)
    values = _checked(data, None)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Address).where(Address.user_id == user.id))
    if count >= MAX_ADDRESSES:
        raise Conflict(_("An address book holds at most %(n)d addresses.", n=MAX_ADDRESSES), code="too_many_addresses")
    wants_default = values.pop("is_default", False) or count == 0
    address = Address(user_id=user.id, is_default=False, **values)
    db.session.add(address)
    db.session.flush()
    if wants_default:
        _make_default(user, address)
    db.session.commit()
    return address


def update_address(user: User, address_id, data: dict) -> Address:
    """Change some fields of an address; `is_default: true` makes it the default (the
    default cannot be unset, only moved). Commits."""
    _lock_book(user)
    address = get_address(user, address_id)
    values = _checked(data, address)
    wants_default = values.pop("is_default", None)
    for name, value in values.items():
        setattr(address, name, value)
    if wants_default:
        _make_default(user, address)
    db.session.commit()
    return address


def delete_address(user: User, address_id) -> None:
    """Remove an address; if it was the default, the newest remaining one takes its place. Commits."""
    _lock_book(user)
    address = get_address(user, address_id)
    was_default = address.is_default
    db.session.delete(address)
    db.session.flush()
    if was_default:
        newest = db.session.scalar(sa.select(Address).where(Address.user_id == user.id)
                                   .order_by(Address.id.desc()).limit(1))
        if newest is not None:
            newest.is_default = True
    db.session.commit()
