"""JSON API v1 (flask-smorest + marshmallow). Each module defines `blp`."""
from __future__ import annotations

API_PREFIX = "/api/v1"

# Modules under marketplace.api whose `blp` is registered, in this order.
API_MODULES: tuple[str, ...] = ("admin", "open_data")


def register_api(api) -> None:
    from importlib import import_module

    for name in API_MODULES:
        module = import_module(f"{__name__}.{name}")
        api.register_blueprint(module.blp, url_prefix=API_PREFIX + getattr(module, "URL_PREFIX", ""))
