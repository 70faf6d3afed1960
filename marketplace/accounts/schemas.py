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


class ProfileUpdateSchema(ma.Schema):
    """PATCH /me: the fields a user may change about themselves (others are refused)."""

    full_name = ma.fields.String(metadata={"example": "Nguyễn Thị Lan"})
    phone = ma.fields.String(allow_none=True, metadata={"description": "Vietnamese phone; empty or null removes it",
                                                        "example": "0912345678"})


class SessionsEndedSchema(ma.Schema):
    sessions_ended = ma.fields.Integer(required=True, metadata={"description": "Other sign-in sessions ended"})
    tokens_ended = ma.fields.Integer(required=True, metadata={"description": "API tokens revoked"})


class PasswordResetRequestSchema(ma.Schema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(max=254),
                             metadata={"example": "lan@example.vn"})


class PasswordResetAnswerSchema(ma.Schema):
    message = ma.fields.String(required=True, metadata={"description": "The same whatever the address"})


class PasswordResetConfirmSchema(ma.Schema):
    token = ma.fields.String(required=True, validate=ma.validate.Length(max=100),
                             metadata={"description": "The token from the emailed link (after /account/password-reset/)"})
    password = ma.fields.String(required=True, load_only=True, metadata={"description": "At least 8 characters"})


class AddressSchema(ma.Schema):
    """A delivery address in the user's address book."""

    id = ma.fields.Integer(dump_only=True)
    full_name = ma.fields.String(metadata={"example": "Nguyễn Thị Lan"})
    phone = ma.fields.String(metadata={"example": "0912345678"})
    line1 = ma.fields.String(metadata={"description": "House number, street, hamlet", "example": "Số 12, phố Cao Thắng"})
    province_code = ma.fields.Integer(strict=True, metadata={
        "description": "From GET /divisions/provinces", "example": 22})
    province_name = ma.fields.String(dump_only=True)
    ward_code = ma.fields.Integer(strict=True, metadata={
        "description": "From GET /divisions/provinces/{code}/wards", "example": 7090})
    ward_name = ma.fields.String(dump_only=True)
    is_default = ma.fields.Boolean(metadata={"description": "Filled in at checkout; setting it moves the default here"})
    created_at = LocalDateTime(dump_only=True)
    updated_at = LocalDateTime(dump_only=True)


class AddressCreateSchema(AddressSchema):
    class Meta:
        fields = ("full_name", "phone", "line1", "province_code", "ward_code", "is_default")


class AddressUpdateSchema(AddressCreateSchema):
    """Any of the fields of an address (checked together with the ones left as they are)."""


class AddressListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AddressSchema), required=True)


class DivisionSchema(ma.Schema):
    code = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={
        "enum": ["province", "city", "ward", "commune", "special_zone"]})


class DivisionListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(DivisionSchema), required=True)
