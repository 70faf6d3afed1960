"""JSON API v1 (flask-smorest + marshmallow). Each module defines `blp`.

Optional module attributes: `URL_PREFIX` (under /api/v1) and `CSRF_EXEMPT = True` for
endpoints that never rely on the session cookie (their blueprint is added to
CSRF_EXEMPT_BLUEPRINTS). Shared schema helpers live in `marketplace.api.common`.
"""
from __future__ import annotations

from .common import API_PREFIX  # noqa: F401 (the API's base path, re-exported)

# Modules under marketplace.api whose `blp` is registered, in this order.
API_MODULES: tuple[str, ...] = (
    "accounts",
    "addresses",
    "tokens",
    "catalog",
    "search",
    "health",
    "seller",
    "payments",
    "cart",
    "checkout",
    "orders",
    "admin",
    "open_data",
    "traceability",
    "invoicing",
)


def register_api(api) -> None:
    from importlib import import_module

    from .common import SECURITY_SCHEMES

    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    app = api._app
    for name in API_MODULES:
        module = import_module(f"{__name__}.{name}")
        api.register_blueprint(module.blp, url_prefix=API_PREFIX + getattr(module, "URL_PREFIX", ""))
        if getattr(module, "CSRF_EXEMPT", False):
            app.config["CSRF_EXEMPT_BLUEPRINTS"].add(module.blp.name)
    from .webhooks import document_webhooks

    document_webhooks(api.spec, app)  # served by payments/webhooks.py at the site root
