"""A producer's connection to its e-invoice provider: saved with the password encrypted,
tested, removed, and used to issue a part's invoice.

The password is encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived
from the application's SECRET_KEY by HKDF, so a copy of the database alone does not give
away a producer's provider account. Rotating SECRET_KEY makes saved passwords unreadable:
the producer is then asked to enter it again (never a 500).
"""
from __future__ import annotations

import base64
import re
from contextlib import contextmanager

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext

from ..errors import Conflict, DomainError, NotFound, ValidationFailed
from ..extensions import db
from ..timeutil import utcnow
from ..validators import clean_text
from . import taxcode
from .connectors.base import Connector, NotRegistered, Rejected, Unavailable
from .connectors.viettel import ViettelSInvoice
from .issuing import adjust_with, issue_with
from .models import InvoiceConnection, PartInvoice
from .services import TEMPLATE_CODE, get_part

PROVIDERS = {"viettel": "Viettel S-Invoice"}
_SERIES = re.compile(r"^[CK]\d{2}[TDLMNBGH][A-Z0-9]{2}$")


class ProviderUnavailable(DomainError):
    status = 503
    code = "provider_unavailable"


def _fernet() -> Fernet:
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ocop-invoice-connection").derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise Conflict(gettext("The saved provider password can no longer be read: enter it again"),
                       code="connection_unreadable") from None


def connection_of(producer_id: int) -> InvoiceConnection | None:
    return db.session.scalar(sa.select(InvoiceConnection).where(InvoiceConnection.producer_id == producer_id))


def connection_json(connection: InvoiceConnection | None) -> dict:
    if connection is None:
        return {"connected": False}
    return {"connected": True, "provider": connection.provider, "provider_name": PROVIDERS[connection.provider],
            "username": connection.username, "supplier_tax_code": connection.supplier_tax_code,
            "template_code": connection.template_code, "series": connection.series,
            "last_tested_at": connection.last_tested_at.isoformat() if connection.last_tested_at else None,
            "last_test_ok": connection.last_test_ok, "last_test_message": outcome_message(connection)}


def _field(fields: dict, name: str, errors: dict, limit: int) -> str:
    try:
        value = clean_text(fields.get(name))
    except ValueError as exc:
        errors[name] = [str(exc)]
        return ""
    if len(value) > limit:
        errors[name] = [gettext("At most %(n)s characters", n=limit)]
    return value


def save(producer_id: int, fields: dict) -> InvoiceConnection:
    """Create or replace the producer's connection; a blank password keeps the saved one."""
    errors: dict[str, list[str]] = {}
    connection = connection_of(producer_id)
    provider = str(fields.get("provider") or "viettel").strip()
    if provider not in PROVIDERS:
        errors["provider"] = [gettext("Unknown provider")]
    username = _field(fields, "username", errors, 100)
    if not username and "username" not in errors:
        errors["username"] = [gettext("Required")]
    password = fields.get("password")
    password = password if isinstance(password, str) else ""
    if len(password) > 200:
        errors["password"] = [gettext("At most %(n)s characters", n=200)]
    elif not password and connection is None:
        errors["password"] = [gettext("Required")]
    try:
        tax_code = taxcode.validate(fields.get("supplier_tax_code"))
    except ValueError as exc:
        errors["supplier_tax_code"], tax_code = [str(exc)], ""
    template_code = str(fields.get("template_code") or "").strip().upper()
    if not TEMPLATE_CODE.match(template_code):
        errors["template_code"] = [gettext("The template code as registered, e.g. 1/001")]
    series = str(fields.get("series") or "").strip().upper()
    if not _SERIES.match(series):
        errors["series"] = [gettext("A 6-character series, e.g. C26TAA")]
    if errors:
        raise ValidationFailed(gettext("Please check the connection details"), fields=errors)
    if connection is None:
        connection = InvoiceConnection(producer_id=producer_id)
        db.session.add(connection)
    connection.provider, connection.username, connection.supplier_tax_code = provider, username, tax_code
    connection.template_code, connection.series = template_code, series
    if password:
        connection.secret_encrypted = encrypt(password)
    # New details have not been tried yet.
    connection.last_tested_at = connection.last_test_ok = connection.last_test_message = None
    connection.last_test_code = connection.last_test_params = None
    db.session.commit()
    return connection


def disconnect(producer_id: int) -> None:
    connection = connection_of(producer_id)
    if connection is None:
        raise NotFound(gettext("No e-invoice provider is connected"), code="not_connected")
    db.session.delete(connection)
    db.session.commit()


def connector_for(connection: InvoiceConnection) -> Connector:
    config = current_app.config
    return ViettelSInvoice(config["SINVOICE_BASE_URL"], connection.username, decrypt(connection.secret_encrypted),
                           connection.supplier_tax_code, connection.template_code, connection.series,
                           timeout=config["SINVOICE_TIMEOUT_S"])


def _connected(producer_id: int) -> InvoiceConnection:
    connection = connection_of(producer_id)
    if connection is None:
        raise Conflict(gettext("Connect an e-invoice provider first"), code="not_connected")
    return connection


def _known(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{template} {series}" for template, series in pairs) or "—"


def try_connection(producer_id: int) -> InvoiceConnection:
    """Sign in to the provider with the saved details, check that it knows the template and
    series, and keep the outcome on the connection as a code and its parameters (said in
    each reader's language by `outcome_message`)."""
    connection = _connected(producer_id)
    try:
        connector_for(connection).check()
    except NotRegistered as exc:
        code = "no_series" if exc.template_known else "no_template"
        params = {"series": exc.series, "template": exc.template, "tax_code": connection.supplier_tax_code,
                  "known": _known(exc.known)}
    except Rejected as exc:
        code, params = ("login_refused" if exc.code == "login" else "lookup_refused"), {"why": exc.message[:200]}
    except Unavailable as exc:
        code, params = "unreachable", {"why": exc.message[:200]}
    else:
        code, params = "ok", {"template": connection.template_code, "series": connection.series}
    connection.last_tested_at, connection.last_test_ok = utcnow(), code == "ok"
    connection.last_test_code, connection.last_test_params, connection.last_test_message = code, params, None
    db.session.commit()
    return connection


_TEST_MESSAGES = {
    "ok": lambda p: gettext("Signed in to the provider; template %(template)s and series %(series)s can be used.",
                            template=p["template"], series=p["series"]),
    "no_series": lambda p: gettext("Signed in, but the provider has no series %(series)s under template "
                                   "%(template)s. Registered: %(known)s", series=p["series"],
                                   template=p["template"], known=p["known"]),
    "no_template": lambda p: gettext("Signed in, but the provider has no template %(template)s for tax code "
                                     "%(tax_code)s. Registered: %(known)s", template=p["template"],
                                     tax_code=p["tax_code"], known=p["known"]),
    "login_refused": lambda p: gettext("The provider refused the sign-in: %(why)s", why=p["why"]),
    "lookup_refused": lambda p: gettext("The provider refused the template lookup: %(why)s", why=p["why"]),
    "unreachable": lambda p: gettext("The provider could not be reached: %(why)s", why=p["why"]),
}


def outcome_message(connection: InvoiceConnection | None) -> str | None:
    """The last test's outcome in the current request's language (the text stored by tests
    made before outcomes were kept as codes, as it was stored)."""
    if connection is None or connection.last_tested_at is None:
        return None
    say = _TEST_MESSAGES.get(connection.last_test_code or "")
    if say is None:
        return connection.last_test_message
    try:
        return say(connection.last_test_params or {})
    except KeyError:
        return connection.last_test_message


@contextmanager
def provider_errors():
    """The provider's answers as the API and the pages say them: its refusal is a 409
    `provider_rejected` with its reason and code, an outage a 503 `provider_unavailable`
    (safe to try again: the keys at the provider stay the same). Nothing half-done is kept."""
    try:
        yield
    except Rejected as exc:
        db.session.rollback()
        raise Conflict(gettext("The provider refused the invoice: %(why)s", why=exc.message),
                       code="provider_rejected", extra={"provider_code": exc.code}) from exc
    except Unavailable as exc:
        db.session.rollback()
        raise ProviderUnavailable(gettext("The provider could not be reached; try again later (%(why)s)",
                                          why=exc.message)) from exc


def issue(producer_id: int, part_id) -> PartInvoice:
    """Issue the producer's part's invoice through its connection, and record it.

    The part is looked up first, so another producer's part is not found whatever its
    connection; errors as `provider_errors` says."""
    part = get_part(producer_id, part_id)
    connector = connector_for(_connected(producer_id))
    with provider_errors():
        return issue_with(part, connector, pause=current_app.config["SINVOICE_RETRY_PAUSE_S"])


def adjust(producer_id: int, part_id) -> PartInvoice:
    """Issue the adjusting invoice a refund after issue made due, through the producer's
    connection, referring to the part's invoice (issued through the connector or recorded by
    hand), and record it; 409 `no_adjustment_due` when none is due, errors as `issue`."""
    part = get_part(producer_id, part_id)
    connector = connector_for(_connected(producer_id))
    with provider_errors():
        return adjust_with(part, connector, pause=current_app.config["SINVOICE_RETRY_PAUSE_S"])
