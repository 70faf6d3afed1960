"""How pages and static files travel: compressed, and static files cached for a year.

- Responses in text formats (pages, CSS, JavaScript, JSON, SVG) are compressed (Flask-Compress:
  zstd, brotli or gzip, whichever the browser accepts). Lighthouse counted 1.35-1.5 s of its
  simulated mobile network on uncompressed text (bench/README.md); a reverse proxy that
  compresses too makes this a no-op (it sees Content-Encoding and leaves the body alone).
- Every URL of a static file (ours, and Bootstrap's served locally) carries `?v=<hash of the
  file>`; such a URL never changes content, so it is cached for a year (`immutable`). A new
  release changes the hash of what changed, so browsers fetch exactly the files that did.
"""
from __future__ import annotations

import hashlib
import os

from flask import Flask, current_app, request
from flask_compress import Compress

compress = Compress()
STATIC_ENDPOINTS = ("static", "bootstrap.static")
YEAR = 365 * 24 * 3600
_VERSIONS = "asset_versions"  # app.extensions: (path, mtime, size) -> hash; per process, rebuilt at will


def _static_folder(app: Flask, endpoint: str) -> str | None:
    if endpoint == "static":
        return app.static_folder
    blueprint = app.blueprints.get(endpoint.split(".", 1)[0])
    return blueprint.static_folder if blueprint is not None else None


def file_version(app: Flask, endpoint: str, filename: str) -> str | None:
    """A short hash of the file's content (None when there is no such file)."""
    folder = _static_folder(app, endpoint)
    if not folder:
        return None
    path = os.path.realpath(os.path.join(folder, filename))
    if not path.startswith(os.path.realpath(folder) + os.sep):
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (path, stat.st_mtime_ns, stat.st_size)
    versions = app.extensions.setdefault(_VERSIONS, {})
    if key not in versions:
        with open(path, "rb") as fh:
            versions[key] = hashlib.sha256(fh.read()).hexdigest()[:12]
    return versions[key]


def _fingerprint(endpoint: str, values: dict) -> None:
    if endpoint in STATIC_ENDPOINTS and "filename" in values and "v" not in values:
        version = file_version(current_app, endpoint, values["filename"])
        if version:
            values["v"] = version


def _buffer_static(response):
    """Static files are sent as file streams, which Flask-Compress leaves alone (streams stay
    uncompressed: the large exports go out as they are made). Ours are small: read them into
    the response so that they are compressed, and their ETags still answer 304."""
    if request.endpoint in STATIC_ENDPOINTS and response.status_code == 200 and response.is_streamed:
        response.direct_passthrough = False
        response.set_data(response.get_data())
    return response


def _cache_fingerprinted(response):
    if request.endpoint in STATIC_ENDPOINTS and request.args.get("v") and response.status_code in (200, 304):
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
        response.cache_control.no_cache = None
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", [
        "text/html", "text/css", "text/plain", "text/xml", "text/csv", "text/javascript",
        "application/javascript", "application/json", "application/xml", "image/svg+xml"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    # Streamed answers (the large CSV and XLSX exports) go out as they are made, uncompressed.
    app.config.setdefault("COMPRESS_STREAMS", False)
    compress.init_app(app)
    app.url_defaults(_fingerprint)
    # after_request hooks run last-registered first: these run before the compression.
    app.after_request(_cache_fingerprinted)
    app.after_request(_buffer_static)
