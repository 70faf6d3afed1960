"""API schemas for accounts (used by marketplace.api.accounts and any API showing a user)."""
from __future__ import annotations

import marshmallow as ma

from ..schema_fields import LocalDateTime
from .models import ROLES


class UserSchema(ma.Schema):
    """The signed-in user as the API shows it (GET /me, login, register)."""

    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.String(dump_only=True)
    full_name = ma.fields.String(dump_only=True)
    phone = ma.fields.String(dump_only=True, allow_none=True)
    role = ma.fields.String(dump_only=True, metadata={"enum": list(ROLES)})
    producer_id = ma.fields.Integer(dump_only=True, allow_none=True,
                                    metadata={"description": "The seller's producer organisation"})
    created_at = LocalDateTime(dump_only=True)


class RegisterSchema(ma.Schema):
    """Checked in full by accounts.services.create_user (email format, password length, phone)."""

    email = ma.fields.String(required=True, metadata={"example": "lan@example.vn"})
    password = ma.fields.String(required=True, load_only=True, metadata={"description": "At least 8 characters"})
    full_name = ma.fields.String(required=True, metadata={"example": "Nguyễn Thị Lan"})
    phone = ma.fields.String(load_default=None, allow_none=True, metadata={"example": "0912345678"})


class CredentialsSchema(ma.Schema):
    email = ma.fields.String(required=True)
    password = ma.fields.String(required=True, load_only=True)


class LoginSchema(CredentialsSchema):
    remember = ma.fields.Boolean(load_default=False, metadata={"description": "Keep the session after the browser closes"})


class TokenRequestSchema(CredentialsSchema):
    name = ma.fields.String(load_default="api", validate=ma.validate.Length(min=1, max=80),
                            metadata={"description": "A label for the token, e.g. the device"})


class TokenSchema(ma.Schema):
    token = ma.fields.String(required=True, metadata={"description": "Shown once; send as `Authorization: Bearer <token>`"})


class CsrfTokenSchema(ma.Schema):
    csrf_token = ma.fields.String(required=True, metadata={"description": "Send as the X-CSRFToken header"})
