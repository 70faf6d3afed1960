"""The one place absolute links (in API answers, e-mails, QR labels) get their address.

`PUBLIC_BASE_URL` when it is set (production: the address shoppers use, whatever Host a
request claims); otherwise the address the request came to (so `make run PORT=5400`, or a
tunnel, gives links that work from where the page was opened); outside a request (CLI,
cron, the mail worker) the address the server was started on (`HOST`/`PORT`, config
`SERVED_BASE_URL`).
"""
from __future__ import annotations

from flask import current_app, has_request_context, request


def public_base_url() -> str:
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return current_app.config["SERVED_BASE_URL"].rstrip("/")


def absolute_url(path: str) -> str:
    """`/products/x` -> `https://shop.example/products/x` (already absolute URLs stay)."""
    if "://" in path:
        return path
    return public_base_url() + path
