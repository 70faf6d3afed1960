"""Accounts API: register, log in and out (session cookie), CSRF token, the signed-in user."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from flask_babel import gettext

from ..accounts import passwords
from ..accounts.auth import bearer_token, password_reset_rate_limit, register_rate_limit, sign_in_limits
from ..accounts.schemas import (CsrfTokenSchema, LoginSchema, PasswordResetAnswerSchema, PasswordResetConfirmSchema,
                                PasswordResetRequestSchema, ProfileUpdateSchema, RegisterSchema, SessionsEndedSchema,
                                UserSchema)
from ..accounts.services import authenticate, create_user, revoke_token, update_profile
from ..accounts.sessions import end_other_sessions, sign_in, sign_out
from ..errors import DomainError
from .common import AUTH_SECURITY, ApiBlueprint

blp = ApiBlueprint(
    "Accounts", __name__,
    description="Register, sign in with the session cookie, sign out, and the signed-in user. "
                "POSTs that carry the session or remember-me cookie need the X-CSRFToken header "
                "(GET /auth/csrf); clients without cookies need none, but send JSON bodies.",
)


def invalid_credentials() -> DomainError:
    """The one answer to a wrong email, a wrong password or a disabled account."""
    return DomainError(gettext("Wrong email or password"),
                       code="invalid_credentials", status=401)


def check_credentials(email: str, password: str):
    user = authenticate(email, password)
    if user is None:
        raise invalid_credentials()
    return user


@blp.route("/auth/register", methods=["POST"])
@register_rate_limit
@blp.arguments(RegisterSchema())
@blp.response(201, UserSchema)
@blp.errors(400, 409, 415, 429)
def register(data):
    """Create a shopper account

    422 with `fields` for an invalid email, a short password, a missing name or a
    phone number that is not Vietnamese; 409 `email_taken` when the email is registered.
    """
    return create_user(data["email"], data["password"], data["full_name"], data["phone"], role="shopper")


@blp.route("/auth/login", methods=["POST"])
@sign_in_limits
@blp.arguments(LoginSchema())
@blp.response(200, UserSchema)
@blp.errors(400, 401, 415, 429)
def login(data):
    """Sign in and receive the session cookie

    Each sign-in starts a new session: new session and remember-me cookies, which stop
    working at sign-out. Rate limited per client address (with the web form and
    /auth/tokens) and per account (failed attempts from every address): 429 `rate_limited`.
    """
    user = check_credentials(data["email"], data["password"])
    sign_in(user, remember=data["remember"])  # commits last_login_at too
    return user


@blp.route("/auth/logout", methods=["POST"])
@blp.response(204)
@blp.errors(400)
@blp.doc(security=AUTH_SECURITY + [{}])
def logout():
    """Sign out

    Ends the session: its session cookie and every remember-me cookie issued to it stop
    working. With `Authorization: Bearer`, revokes that token instead.
    """
    token = bearer_token()
    if token:
        revoke_token(token)
        return
    sign_out(current_user)


@blp.route("/auth/csrf", methods=["GET"])
@blp.response(200, CsrfTokenSchema)
def csrf_token():
    """A CSRF token for cookie-authenticated requests

    Send it back as the `X-CSRFToken` header with every POST, PUT, PATCH or DELETE
    made with the session cookie (Bearer-token requests do not need it).
    """
    return {"csrf_token": generate_csrf()}


@blp.route("/me", methods=["GET"])
@blp.auth_required()
@blp.response(200, UserSchema)
def me():
    """The signed-in user"""
    return current_user


@blp.route("/me", methods=["PATCH"])
@blp.auth_required()
@blp.arguments(ProfileUpdateSchema())
@blp.response(200, UserSchema)
@blp.errors(400, 415)
def update_me(data):
    """Change your name or phone

    Only `full_name` and `phone` (Vietnamese; empty or null removes it); any other field
    is 422. The email and role cannot be changed here.
    """
    phone = (data["phone"] or "") if "phone" in data else None  # null removes the phone, as "" does
    return update_profile(current_user, data.get("full_name"), phone)


@blp.route("/me/sessions/revoke", methods=["POST"])
@blp.auth_required()
@blp.response(200, SessionsEndedSchema)
@blp.errors(400)
def revoke_other_sessions():
    """Sign out everywhere else

    Ends every other sign-in session and revokes every other API token of your account;
    the credential this request uses (its Bearer token, or its session cookie) keeps working.
    """
    token = bearer_token()
    sessions, tokens = end_other_sessions(current_user.id, keep_session=None if token else current_user.session_key,
                                          keep_token=token)
    return {"sessions_ended": sessions, "tokens_ended": tokens}


@blp.route("/auth/password-reset", methods=["POST"])
@password_reset_rate_limit
@blp.arguments(PasswordResetRequestSchema())
@blp.response(202, PasswordResetAnswerSchema)
@blp.errors(400, 415, 429)
def password_reset(data):
    """Ask for a password-reset email

    Always 202 with the same message: a link is emailed only if the address has an
    account. The link works once, for PASSWORD_RESET_MAX_AGE_MIN (60) minutes. Rate
    limited per client address with the web form (429 `rate_limited`).
    """
    passwords.request_reset(data["email"])
    return {"message": _("If an account uses this address, a link to choose a new password is on its way.")}


@blp.route("/auth/password-reset/confirm", methods=["POST"])
@blp.arguments(PasswordResetConfirmSchema())
@blp.response(204)
@blp.errors(400, 415)
def password_reset_confirm(data):
    """Set a new password with the emailed token

    422 `invalid_token` for an unknown, expired or used token; 422 with `fields.password`
    for a password under 8 characters. Ends every session and API token of the account.
    """
    passwords.reset_password(data["token"], data["password"])
