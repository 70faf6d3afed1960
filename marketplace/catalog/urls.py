"""Absolute public URLs of catalogue things: product photos and product pages.

Absolute (see marketplace/links.py) so that API clients, QR labels and e-mails can use them as
they are. Photos are served by the storage's public media route (storage.media_url).
"""
from __future__ import annotations

from flask import url_for
from werkzeug.routing import BuildError

from .. import storage
from ..links import absolute_url


def media_url(key: str | None) -> str | None:
    """The absolute URL of a public stored file (None for no file)."""
    url = storage.media_url(key)
    return absolute_url(url) if url else None


def product_page_url(product) -> str:
    """The product's page in the shop (also its traceability link)."""
    try:
        path = url_for("catalog.product", slug=product.slug)
    except BuildError:  # the shop pages are not registered (API-only deployment)
        path = f"/products/{product.slug}"
    return absolute_url(path)
