"""Accounts API: register, log in and out (session cookie), CSRF token, the signed-in user."""
from __future__ import annotations

from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from flask_babel import gettext

from ..accounts.auth import bearer_token, register_rate_limit, sign_in_limits
from ..accounts.schemas import CsrfTokenSchema, LoginSchema, RegisterSchema, UserSchema
from ..accounts.services import authenticate, create_user, revoke_token
from ..accounts.sessions import sign_in, sign_out
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
