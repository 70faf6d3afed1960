"""Request-level protections: CSRF policy and security headers."""
from __future__ import annotations

from flask import current_app, request

from .accounts.auth import bearer_token
from .extensions import csrf

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
    "form-action 'self' https://checkout.stripe.com"
)


def csrf_protect():
    """CSRF for cookie-authenticated mutations; Bearer-token requests and
    blueprints listed in CSRF_EXEMPT_BLUEPRINTS (provider webhooks) are exempt."""
    if request.method in SAFE_METHODS or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if bearer_token() is not None:
        return
    if request.blueprint in current_app.config.get("CSRF_EXEMPT_BLUEPRINTS", ()):
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
