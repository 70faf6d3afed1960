"""Joining the marketplace: a producer registers with its first member, members invite others.

A producer registers with the member who fills the form (role seller, not approved until an
administrator approves the organisation). That member invites colleagues by email: the link is
signed and expires, and accepting it creates the account for exactly the invited address.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import audit
from ..accounts.languages import languages_of
from ..accounts.models import User
from ..accounts.services import create_user, find_user_by_email, normalise_email
from ..catalog.models import PRODUCER_KINDS, Locality, Producer
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..links import public_base_url
from ..mail.language import current_language, send_in, send_to_each
from ..validators import clean_text, normalise_phone, validate_tax_code
from .listings import unique_slug


def _text(data: Mapping, name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value).strip()


def _free_text(data: Mapping, name: str, errors: dict, multiline: bool = False) -> str:
    """A name or free text through the one shared check (validators.clean_text)."""
    try:
        return clean_text(data.get(name), multiline=multiline)
    except ValueError as exc:
        errors[name] = [str(exc)]
        return ""


def _checked(data: Mapping, name: str, check: Callable[[str], str], errors: dict) -> str | None:
    """`check` of the field's text, or None with its ValueError recorded as the field's error."""
    try:
        return check(_text(data, name))
    except ValueError as exc:
        errors[name] = [str(exc)]
        return None


def localities() -> list[Locality]:
    return list(db.session.scalars(sa.select(Locality).order_by(Locality.region, Locality.name)))


def register_producer(data: Mapping) -> tuple[Producer, User]:
    """A producer organisation and its first member (role seller). Not approved yet.

    `data`: name, kind, tax_code, locality_id, address, phone, email, description,
    and the member's full_name, member_email, password, member_phone.
    """
    errors: dict[str, list[str]] = {}
    name = _free_text(data, "name", errors)
    if "name" not in errors and not 3 <= len(name) <= 200:
        errors["name"] = [gettext("Organisation name needs 3 to 200 characters")]
    kind = _text(data, "kind")
    if kind not in PRODUCER_KINDS:
        errors["kind"] = [gettext("Choose the kind of organisation")]
    tax_code = _checked(data, "tax_code", validate_tax_code, errors)
    # A tax code someone else already claimed is accepted like any other: refusing it would
    # tell a stranger the code is registered, and let a squatter block its real holder. The
    # admin sees the clash (admin.services.list_producers) and approves one of them.
    locality = None
    try:
        locality = db.session.get(Locality, int(data.get("locality_id") or 0))
    except (TypeError, ValueError):
        pass
    if locality is None:
        errors["locality_id"] = [gettext("Choose the commune or ward")]
    address = _free_text(data, "address", errors)
    if "address" not in errors and not 3 <= len(address) <= 255:
        errors["address"] = [gettext("Address is required")]
    phone = _checked(data, "phone", normalise_phone, errors)
    org_email = None
    if _text(data, "email"):
        try:
            org_email = normalise_email(_text(data, "email"))
        except ValidationFailed:
            errors["email"] = [gettext("Invalid email")]
    description = _free_text(data, "description", errors, multiline=True)[:5000]
    if errors:
        # Also report the member's fields in the same answer.
        try:
            create_user(data.get("member_email"), data.get("password"), data.get("full_name"),
                        data.get("member_phone") or None, role="seller", producer_id=0, commit=False)
            db.session.rollback()
        except (ValidationFailed, Conflict) as exc:
            db.session.rollback()
            errors.update(_member_fields(exc.fields or {}))
        raise ValidationFailed(gettext("Invalid input"), fields=errors)

    producer = Producer(slug=unique_slug(Producer, name), name=name, kind=kind, tax_code=tax_code,
                        locality_id=locality.id, address=address, phone=phone, email=org_email,
                        description=description, approved=False)
    db.session.add(producer)
    try:
        db.session.flush()
        user = create_user(data.get("member_email"), data.get("password"), data.get("full_name"),
                           data.get("member_phone") or None, role="seller", producer_id=producer.id,
                           commit=False)
        db.session.flush()
    except (ValidationFailed, Conflict) as exc:
        db.session.rollback()
        exc.fields = _member_fields(exc.fields or {})
        raise
    audit.record(user, "producer.registered", "producer", producer.id,
                 after={"name": name, "tax_code": tax_code, "kind": kind})
    send_in(user.lang, user.email, lambda: (
        gettext("OCOP producer registration received"),
        gettext("Hello %(name)s,\n\nWe received the registration of %(producer)s. An administrator will review "
                "it; meanwhile you can prepare your listings.", name=user.full_name, producer=producer.name)))
    db.session.commit()
    return producer, user


def _member_fields(fields: dict) -> dict:
    """create_user names the member's fields email/phone: keep them apart from the organisation's."""
    renamed = {"email": "member_email", "phone": "member_phone", "producer_id": None}
    out = {}
    for key, value in fields.items():
        target = renamed.get(key, key)
        if target:
            out[target] = value
    return out


def members(producer_id: int) -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.producer_id == producer_id).order_by(User.id)))


def _invitations() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="seller-invitation")


def invite_member(producer_id: int, inviter: User, email: str) -> str:
    """Email an invitation link to join the producer; returns the token.

    The token is signed (SECRET_KEY) and expires after INVITATION_MAX_AGE_S; it can be
    used once, since accepting creates the account for exactly that email.
    """
    try:
        email = normalise_email(email)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, fields={"email": exc.fields["email"]}) from None
    if find_user_by_email(email) is not None:
        message = gettext("This email already has an account")
        raise Conflict(message, code="email_taken", fields={"email": [message]})
    producer = db.session.get(Producer, producer_id)
    token = _invitations().dumps({"p": producer_id, "e": email, "i": inviter.id})
    base = public_base_url()
    link = f"{base}/seller/invitations/{token}"
    days = current_app.config["INVITATION_MAX_AGE_S"] // 86400
    # Someone new reads the invitation in the language the inviter wrote it in.
    send_to_each(languages_of(email, default=current_language()), lambda: (
        gettext("Invitation to join %(producer)s", producer=producer.name),
        gettext("%(inviter)s invites you to manage %(producer)s on the OCOP Quang Ninh marketplace.\n"
                "Open this link to set your password (valid %(days)s days):\n%(link)s\n",
                inviter=inviter.full_name, producer=producer.name, days=days, link=link)))
    audit.record(inviter, "producer.member_invited", "producer", producer_id, after={"email": email})
    db.session.commit()
    return token


@dataclass(frozen=True)
class Invitation:
    producer: Producer
    email: str
    inviter_id: int


def read_invitation(token: str) -> Invitation:
    try:
        data = _invitations().loads(token, max_age=current_app.config["INVITATION_MAX_AGE_S"])
    except SignatureExpired:
        raise NotFound(gettext("This invitation has expired"), code="invitation_expired") from None
    except BadSignature:
        raise NotFound(gettext("Invalid invitation"), code="invitation_invalid") from None
    producer = db.session.get(Producer, data.get("p"))
    if producer is None:
        raise NotFound(gettext("Invalid invitation"), code="invitation_invalid")
    if find_user_by_email(data["e"]) is not None:
        raise Conflict(gettext("This invitation has already been used"), code="invitation_used")
    return Invitation(producer=producer, email=data["e"], inviter_id=data.get("i"))


def accept_invitation(token: str, full_name: str, password: str, phone: str | None = None) -> User:
    invitation = read_invitation(token)
    user = create_user(invitation.email, password, full_name, phone or None, role="seller",
                       producer_id=invitation.producer.id, commit=False)
    db.session.flush()
    audit.record(user, "producer.member_joined", "producer", invitation.producer.id, after={"email": user.email})
    db.session.commit()
    return user
