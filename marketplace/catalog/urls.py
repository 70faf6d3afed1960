"""Public URLs of catalogue things: uploaded images and product pages.

Absolute (PUBLIC_BASE_URL) so that API clients, QR labels and e-mails can use them as they are.
"""
from __future__ import annotations

from flask import current_app, url_for
from werkzeug.routing import BuildError

UPLOADS_PATH = "/uploads/"


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def media_url(path: str | None) -> str | None:
    """The public URL of a stored file (an upload key, a site path or already a URL)."""
    if not path:
        return None
    if "://" in path:
        return path
    if path.startswith("/"):
        return _base() + path
    return _base() + UPLOADS_PATH + path


def product_page_url(product) -> str:
    """The product's page in the shop (also its traceability link)."""
    try:
        path = url_for("catalog.product", slug=product.slug)
    except BuildError:  # the shop pages are not registered (API-only deployment)
        path = f"/products/{product.slug}"
    return _base() + path
