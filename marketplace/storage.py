"""File storage for uploads (product photos, certificate scans, import files).

One small interface, `Storage`; the local-directory backend is the default
(`UPLOAD_DIR`). A deployment with several app servers plugs in an S3-compatible
backend with the same four methods and selects it with `STORAGE_BACKEND`.

Keys are opaque, generated here (`new_key`), and never taken from a user's file
name. Keys under `private/` (certificate scans, import files) are never served by
the public `/media/<key>` route: their owners' pages stream them after checking
who asks.
"""
from __future__ import annotations

import mimetypes
import os
import re
import tempfile
import uuid
from typing import Protocol

from flask import Blueprint, Response, abort, current_app, send_file, url_for

PRIVATE_PREFIX = "private/"
_KEY = re.compile(r"^[a-z0-9][a-z0-9_\-]*(/[a-z0-9][a-z0-9_\-]*)*(\.[a-z0-9]{1,5})?$")
# Keys are unique per content (a new upload gets a new key), so browsers may keep them.
MEDIA_CACHE_SECONDS = 365 * 24 * 3600


def valid_key(key: str) -> bool:
    return bool(key) and len(key) <= 255 and ".." not in key and bool(_KEY.match(key))


def new_key(prefix: str, extension: str) -> str:
    """A fresh, unguessable key like `products/12/3f2a…9c.webp`."""
    key = f"{prefix.strip('/')}/{uuid.uuid4().hex}{extension.lower()}"
    if not valid_key(key):
        raise ValueError(f"invalid storage key {key!r}")
    return key


class Storage(Protocol):
    def save(self, key: str, data: bytes, content_type: str) -> None: ...

    def read(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


class LocalStorage:
    """Files under one directory; writes are atomic (temporary file + rename)."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)

    def path(self, key: str) -> str:
        if not valid_key(key):
            raise KeyError(key)
        return os.path.join(self.root, *key.split("/"))

    def save(self, key: str, data: bytes, content_type: str) -> None:
        target = self.path(key)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def read(self, key: str) -> bytes:
        try:
            with open(self.path(key), "rb") as fh:
                return fh.read()
        except OSError as exc:
            raise KeyError(key) from exc

    def delete(self, key: str) -> None:
        try:
            os.unlink(self.path(key))
        except (OSError, KeyError):
            pass

    def exists(self, key: str) -> bool:
        try:
            return os.path.isfile(self.path(key))
        except KeyError:
            return False


def get_storage() -> Storage:
    """The application's storage backend (one instance per app, built on first use)."""
    app = current_app._get_current_object()
    storage = app.extensions.get("ocop_storage")
    if storage is None:
        backend = app.config.get("STORAGE_BACKEND", "local")
        if backend != "local":
            raise RuntimeError(f"unknown STORAGE_BACKEND {backend!r}")
        storage = LocalStorage(app.config["UPLOAD_DIR"])
        app.extensions["ocop_storage"] = storage
    return storage


def media_url(key: str | None) -> str | None:
    """Public URL of a stored file (None for no file)."""
    if not key:
        return None
    return url_for("media.file", key=key)


def content_type_for(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


def file_response(key: str, *, download_name: str | None = None, cache_seconds: int = 0,
                  private: bool = True) -> Response:
    """Stream a stored file with a safe content type (also for the private routes)."""
    storage = get_storage()
    if not valid_key(key) or not storage.exists(key):
        abort(404)
    content_type = content_type_for(key)
    if isinstance(storage, LocalStorage):
        response = send_file(storage.path(key), mimetype=content_type, conditional=True,
                             download_name=download_name, as_attachment=False, max_age=cache_seconds)
    else:
        response = Response(storage.read(key), mimetype=content_type)
    if private:
        response.headers["Cache-Control"] = "private, no-store"
    else:
        response.headers["Cache-Control"] = f"public, max-age={cache_seconds}, immutable"
    # A stored PDF or image is never a page that runs scripts.
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


bp = Blueprint("media", __name__)


@bp.get("/media/<path:key>")
def file(key: str):
    if key.startswith(PRIVATE_PREFIX):
        abort(404)
    return file_response(key, cache_seconds=MEDIA_CACHE_SECONDS, private=False)
