"""How a request is authenticated: the session cookie (a UserSession record, see
accounts.sessions), or a Bearer token.

A request carrying `Authorization: Bearer` is authenticated by that token only
(the session is ignored, marketplace.security), which is what makes it safe to exempt
from CSRF.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user
from flask_babel import gettext

from ..errors import is_api_request
from ..extensions import limiter, login_manager
from .services import user_for_token
from .sessions import user_for_session


# One budget of password attempts per client address, shared by every sign-in
# endpoint (API login and token issue, web login form): app.config["LOGIN_RATE_LIMIT"].
login_rate_limit = limiter.shared_limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"], scope="login", methods=["POST"],
    error_message=lambda: gettext("Too many sign-in attempts, try again later"),
)


def _account_key() -> str:
    """The account a sign-in attempt names (the email, as stored), for the per-account budget."""
    data = request.get_json(silent=True) if request.is_json else request.form
    email = data.get("email") if isinstance(data, dict) or hasattr(data, "getlist") else None
    return "account:" + (email.strip().lower()[:254] if isinstance(email, str) else "")


def _failed_sign_in(response) -> bool:
    # 401 from the API, 422 from the web form: only failures draw on the account's budget,
    # so the owner signing in does not use it up.
    return response.status_code in (401, 422)


# Failed attempts per account, from any address: slows guessing spread over many
# addresses. Short window (ACCOUNT_LOGIN_RATE_LIMIT), so a stranger who spends it keeps
# the owner out only until it ends.
account_login_rate_limit = limiter.shared_limit(
    lambda: current_app.config["ACCOUNT_LOGIN_RATE_LIMIT"], scope="login-account", key_func=_account_key,
    methods=["POST"], deduct_when=_failed_sign_in,
    error_message=lambda: gettext("Too many sign-in attempts, try again later"),
)


def sign_in_limits(view):
    """Both sign-in budgets: per client address, and per account."""
    return login_rate_limit(account_login_rate_limit(view))


# Accounts created per client address, web form and API together.
register_rate_limit = limiter.shared_limit(
    lambda: current_app.config["REGISTER_RATE_LIMIT"], scope="register", methods=["POST"],
    error_message=lambda: gettext("Too many sign-ups, try again later"),
)


# Password-reset requests per client address, web form and API together.
password_reset_rate_limit = limiter.shared_limit(
    lambda: current_app.config["PASSWORD_RESET_RATE_LIMIT"], scope="password-reset", methods=["POST"],
    error_message=lambda: gettext("Too many password reset requests, try again later"),
)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


@login_manager.user_loader
def load_user(session_key: str):
    """The user of the session record the cookie names. With a Bearer header the cookie
    does not count: Flask-Login asks here first when a remember-me cookie came along,
    and the answer is the token's user (see marketplace.security)."""
    token = bearer_token()
    if token is not None:
        return user_for_token(token)
    return user_for_session(session_key)


@login_manager.request_loader
def load_user_from_request(req):
    token = bearer_token()
    return user_for_token(token) if token else None


@login_manager.unauthorized_handler
def unauthorized():
    if is_api_request():
        abort(401, gettext("Please sign in"))
    return redirect(url_for("accounts.login", next=request.full_path if request.query_string else request.path))


def role_required(*roles: str):
    """Allow only signed-in users with one of `roles` (401 if anonymous, 403 otherwise)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles or (current_user.role == "seller" and not current_user.producer_id):
                abort(403, gettext("You are not allowed to do this"))
            return view(*args, **kwargs)

        return wrapper

    return decorator
