"""Account rules: registration, authentication, roles and API tokens."""
from __future__ import annotations

import functools
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import lazyload
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Conflict, ValidationFailed
from ..mail.language import current_language
from ..extensions import db
from ..timeutil import utcnow
from ..validators import clean_text, normalise_phone
from .models import ROLES, ApiToken, User

MIN_PASSWORD_LENGTH = 8
# A real hash to compare against when the email is unknown, so timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-real-password-ocop")


def normalise_email(email: str) -> str:
    try:
        return validate_email(str(email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed(gettext("Invalid email"), fields={"email": [gettext("Invalid email")]}) from exc


def hash_password(password: str) -> str:
    return generate_password_hash(password)  # scrypt


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == str(email or "").strip().lower()))


def create_user(email: str, password: str, full_name: str, phone: str | None = None,
                role: str = "shopper", producer_id: int | None = None, commit: bool = True) -> User:
    errors: dict[str, list[str]] = {}
    try:
        email = normalise_email(email)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [gettext("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)]
    if not (full_name or "").strip():
        errors["full_name"] = [gettext("Full name is required")]
    else:
        try:
            full_name = clean_text(full_name)
        except ValueError as exc:
            errors["full_name"] = [str(exc)]
    if phone:
        try:
            phone = normalise_phone(phone)
        except ValueError as exc:
            errors["phone"] = [str(exc)]
    if role not in ROLES:
        errors["role"] = [f"role must be one of {', '.join(ROLES)}"]
    if role == "seller" and producer_id is None:
        errors["producer_id"] = [gettext("A seller must belong to a producer")]
    if role != "seller" and producer_id is not None:
        errors["producer_id"] = [gettext("Only sellers belong to a producer")]
    if errors:
        raise ValidationFailed(gettext("Invalid input"), fields=errors)
    if find_user_by_email(email) is not None:
        message = gettext("Email already registered")
        raise Conflict(message, code="email_taken", fields={"email": [message]})
    user = User(email=email, password_hash=hash_password(password), full_name=full_name.strip(),
                phone=phone or None, role=role, producer_id=producer_id, lang=current_language())
    db.session.add(user)
    if commit:
        db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def change_password(user: User, current_password: str, new_password: str, keep_session: str | None = None,
                    keep_token: str | None = None) -> tuple[int, int]:
    """Set a new password and end every other session and API token of the user (whoever
    knew the old password may hold one); the credential named by keep_* stays valid.
    Returns (sessions, tokens) ended."""
    from flask_babel import gettext as _

    from .sessions import end_other_sessions

    if not check_password_hash(user.password_hash, current_password or ""):
        raise ValidationFailed(_("Invalid input"), fields={"current_password": [_("The current password is wrong.")]})
    if not new_password or len(new_password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(_("Invalid input"), fields={"password": [
            _("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)]})
    user.password_hash = hash_password(new_password)
    ended = end_other_sessions(user.id, keep_session, keep_token, commit=False)
    db.session.commit()
    return ended


def update_profile(user: User, full_name=None, phone=None, *, commit: bool = True) -> User:
    """Change the name and/or phone of `user` (None leaves a field as it is; an empty phone
    removes it). Raises ValidationFailed with `fields`; commits unless told not to."""
    from flask_babel import gettext as _

    errors: dict[str, list[str]] = {}
    if full_name is not None:
        try:
            full_name = clean_text(full_name)
        except ValueError as exc:
            errors["full_name"] = [str(exc)]
        else:
            if not full_name:
                errors["full_name"] = [_("Please enter your full name.")]
            elif len(full_name) > 120:
                errors["full_name"] = [_("At most 120 characters.")]
    if phone is not None and str(phone).strip():
        try:
            phone = normalise_phone(phone)
        except ValueError:
            errors["phone"] = [_("Enter a Vietnamese phone number, e.g. 0912 345 678.")]
    if errors:
        raise ValidationFailed(_("Invalid input"), fields=errors)
    if full_name is not None:
        user.full_name = full_name
    if phone is not None:
        user.phone = phone if str(phone).strip() else None
    if commit:
        db.session.commit()
    return user


def issue_token(user: User, name: str = "api") -> str:
    """Create a Bearer token; only its digest is stored. Returns the token (shown once)."""
    token = "ocop_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name[:80], token_hash=ApiToken.digest(token), prefix=token[:12]))
    db.session.commit()
    return token


def _live_token(token: str) -> ApiToken | None:
    return db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == ApiToken.digest(token),
                                                       ApiToken.revoked_at.is_(None)))


def revoke_token(token: str) -> bool:
    """Revoke a Bearer token (e.g. on logout). Returns whether a live token was revoked."""
    record = _live_token(token)
    if record is None:
        return False
    record.revoked_at = utcnow()
    db.session.commit()
    return True


@functools.cache
def _user_for_token_statement() -> sa.Select:
    """Built once, on first use (the options need the mappers configured): the user alone,
    not its producer. `User.producer` is joined by default, with the producer's locality;
    no Bearer request of a shopper needs it and the seller API reads only the id, yet
    setting up that joined load took 2.8% of a checkout's instructions. A seller's
    `user.producer` still loads when read; a shopper's, with no producer_id, never queries."""
    return (sa.select(User).join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == sa.bindparam("token_hash"), ApiToken.revoked_at.is_(None),
                   User.active.is_(True))
            .options(lazyload(User.producer)))


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to, in one query that loads only the user
    (every Bearer request asks: the statement is built once, its cache key with it)."""
    return db.session.scalar(_user_for_token_statement(), {"token_hash": ApiToken.digest(token)})
