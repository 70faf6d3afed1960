"""Request-level protections: which credential a request uses, CSRF, security headers.

The rules (README, "Security"):
- A request with `Authorization: Bearer` is authenticated by that token alone. Its
  session and remember-me cookies are not read (and no cookie is written back): no
  session user, cart or remembered guest orders. An unknown or revoked token is 401.
  Such a request is not CSRF-checked: a third-party page cannot make a browser send it.
- A mutating request that carries the session or remember-me cookie is CSRF-checked.
- A JSON API request with neither cookie nor Bearer header (a mobile app signing up,
  a guest checkout with `items`) has nothing a forged request could ride on, so it is
  not CSRF-checked; its body must be JSON (415 otherwise), which a cross-site HTML form
  cannot send, so login CSRF stays closed. Web forms keep their token in every case.
"""
from __future__ import annotations

from flask import abort, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user

from .accounts.auth import bearer_token
from .errors import is_api_request
from .extensions import csrf

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
    "form-action 'self' https://checkout.stripe.com"
)


class CredentialSessionInterface(SecureCookieSessionInterface):
    """The cookie session, except for Bearer requests: they get a fresh session that is
    never saved, so nothing from (or for) the browser's cookie takes part in them."""

    def open_session(self, app, request):
        if bearer_token() is not None:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if bearer_token() is not None:
            return None
        return super().save_session(app, session, response)


def carries_session_cookie() -> bool:
    config = current_app.config
    names = (config.get("SESSION_COOKIE_NAME", "session"), config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    return any(name in request.cookies for name in names)


def takes_json_body() -> bool:
    """Whether the endpoint parses a JSON body (a flask-smorest `arguments` in the json
    location); multipart uploads and body-less endpoints do not."""
    view = current_app.view_functions.get(request.endpoint)
    arguments = (getattr(view, "_apidoc", None) or {}).get("arguments", {}).get("parameters", [])
    return any(argument.get("location", "json") == "json" for argument in arguments)


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def authenticate_and_protect():
    """before_request: refuse a bad Bearer token, then apply the rules above."""
    exempt = request.blueprint in current_app.config.get("CSRF_EXEMPT_BLUEPRINTS", ())
    if bearer_token() is not None:
        if not exempt and not current_user.is_authenticated:
            abort(401, _("The API token is invalid or revoked."))
        return
    if request.method in SAFE_METHODS:
        return
    cookie = carries_session_cookie()
    if is_api_request() and not cookie and _has_body() and not request.is_json and takes_json_body():
        abort(415, _("Send the request body as application/json."))
    if exempt or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return  # provider webhooks and token creation carry their own proof
    if is_api_request() and not cookie:
        return
    csrf.protect()


def security_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app) -> None:
    app.session_interface = CredentialSessionInterface()
    app.before_request(authenticate_and_protect)
    app.after_request(security_headers)
