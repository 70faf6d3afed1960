"""How a request is authenticated: the session cookie, or a Bearer token.

A request carrying `Authorization: Bearer` is authenticated by that token only
(the session is ignored), which is what makes it safe to exempt from CSRF.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from ..errors import is_api_request
from ..extensions import db, limiter, login_manager
from .models import User
from .services import user_for_token


# One budget of password attempts per client address, shared by every sign-in
# endpoint (API login and token issue, web login): app.config["LOGIN_RATE_LIMIT"].
login_rate_limit = limiter.shared_limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"], scope="login",
    error_message="Quá nhiều lần đăng nhập, vui lòng thử lại sau / Too many sign-in attempts, try again later",
)


# Accounts created per client address, web form and API together.
register_rate_limit = limiter.shared_limit(
    lambda: current_app.config["REGISTER_RATE_LIMIT"], scope="register", methods=["POST"],
    error_message="Quá nhiều lần đăng ký, vui lòng thử lại sau / Too many sign-ups, try again later",
)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


@login_manager.user_loader
def load_user(user_id: str):
    if bearer_token() is not None:
        return None
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.active else None


@login_manager.request_loader
def load_user_from_request(req):
    token = bearer_token()
    return user_for_token(token) if token else None


@login_manager.unauthorized_handler
def unauthorized():
    if is_api_request():
        abort(401, "Vui lòng đăng nhập / Please sign in")
    return redirect(url_for("accounts.login", next=request.full_path if request.query_string else request.path))


def role_required(*roles: str):
    """Allow only signed-in users with one of `roles` (401 if anonymous, 403 otherwise)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles or (current_user.role == "seller" and not current_user.producer_id):
                abort(403, "Bạn không có quyền làm việc này / You are not allowed to do this")
            return view(*args, **kwargs)

        return wrapper

    return decorator
