"""File storage for uploads (product photos, certificate scans, import files).

One small interface, `Storage`; the local-directory backend is the default
(`UPLOAD_DIR`; several app servers share it when it is a shared mount). A deployment
with several app servers may instead use S3-compatible object storage (AWS S3, MinIO,
Ceph, Cloudflare R2...): `STORAGE_BACKEND=s3` with `S3_BUCKET`, `S3_ENDPOINT_URL`
(empty for AWS), `S3_REGION`, `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, and
optionally `S3_PREFIX` to share a bucket.

Keys are opaque, generated here (`new_key`), and never taken from a user's file
name. Keys under `private/` (certificate scans, import files) are never served by
the public `/media/<key>` route: their owners' pages stream them after checking
who asks.
"""
from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import tempfile
import uuid
from typing import Protocol

from flask import Blueprint, Response, abort, current_app, request, send_file, url_for

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


class S3Storage:
    """Objects in an S3-compatible bucket (boto3; the client is thread-safe)."""

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None,
                 access_key: str | None = None, secret_key: str | None = None, prefix: str = ""):
        import boto3
        from botocore.config import Config as BotoConfig

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or "us-east-1",
            aws_access_key_id=access_key or None, aws_secret_access_key=secret_key or None,
            config=BotoConfig(connect_timeout=3, read_timeout=15, retries={"max_attempts": 3, "mode": "standard"},
                              s3={"addressing_style": "path"} if endpoint_url else {}),
        )

    def _key(self, key: str) -> str:
        if not valid_key(key):
            raise KeyError(key)
        return self.prefix + key

    @staticmethod
    def _missing(exc) -> bool:
        return exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")

    def save(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type)

    def read(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except ClientError as exc:
            if self._missing(exc):
                raise KeyError(key) from exc
            raise

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except KeyError:
            pass

    def head(self, key: str) -> dict | None:
        """Size and last modification of an object, None when there is none."""
        from botocore.exceptions import ClientError

        try:
            meta = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except KeyError:
            return None
        except ClientError as exc:
            if self._missing(exc):
                return None
            raise
        return {"size": meta["ContentLength"], "last_modified": meta["LastModified"]}

    def exists(self, key: str) -> bool:
        return self.head(key) is not None


def build_storage(config) -> Storage:
    backend = config.get("STORAGE_BACKEND", "local")
    if backend == "local":
        return LocalStorage(config["UPLOAD_DIR"])
    if backend == "s3":
        if not config.get("S3_BUCKET"):
            raise RuntimeError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        return S3Storage(config["S3_BUCKET"], endpoint_url=config.get("S3_ENDPOINT_URL"),
                         region=config.get("S3_REGION"), access_key=config.get("AWS_ACCESS_KEY_ID"),
                         secret_key=config.get("AWS_SECRET_ACCESS_KEY"), prefix=config.get("S3_PREFIX", ""))
    raise RuntimeError(f"unknown STORAGE_BACKEND {backend!r} (local or s3)")


def get_storage() -> Storage:
    """The application's storage backend (one instance per app, built on first use)."""
    app = current_app._get_current_object()
    storage = app.extensions.get("ocop_storage")
    if storage is None:
        storage = build_storage(app.config)
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
    if not valid_key(key):
        abort(404)
    content_type = content_type_for(key)
    # Private files (certificate scans, imports) are downloaded, never opened in the site's
    # origin: a PDF viewer in the browser would otherwise run what the file carries.
    attachment = key.startswith(PRIVATE_PREFIX)
    if isinstance(storage, LocalStorage):
        if not storage.exists(key):
            abort(404)
        response = send_file(storage.path(key), mimetype=content_type, conditional=True,
                             download_name=download_name or key.rsplit("/", 1)[-1], as_attachment=attachment,
                             max_age=cache_seconds)
    else:
        response = _object_response(storage, key, content_type, download_name, attachment)
    if private:
        response.headers["Cache-Control"] = "private, no-store"
    else:
        response.headers["Cache-Control"] = f"public, max-age={cache_seconds}, immutable"
    # A stored PDF or image is never a page that runs scripts.
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _object_response(storage, key: str, content_type: str, download_name: str | None,
                     attachment: bool = False) -> Response:
    """A stored object, answered 304 without reading it when the client has it (a key's
    content never changes, so the key itself is the validator)."""
    meta = storage.head(key) if hasattr(storage, "head") else ({} if storage.exists(key) else None)
    if meta is None:
        abort(404)
    etag = hashlib.sha1(key.encode()).hexdigest()[:24]
    last_modified = meta.get("last_modified")
    if request.if_none_match.contains(etag) or (
            not request.if_none_match and last_modified and request.if_modified_since
            and last_modified.replace(microsecond=0) <= request.if_modified_since):
        response = Response(status=304)
    else:
        try:
            response = Response(storage.read(key), mimetype=content_type)
        except KeyError:
            abort(404)
        if download_name or attachment:
            response.headers.set("Content-Disposition", "attachment" if attachment else "inline",
                                 filename=download_name or key.rsplit("/", 1)[-1])
    response.set_etag(etag)
    if last_modified:
        response.last_modified = last_modified
    return response


bp = Blueprint("media", __name__)


@bp.get("/media/<path:key>")
def file(key: str):
    if key.startswith(PRIVATE_PREFIX):
        abort(404)
    return file_response(key, cache_seconds=MEDIA_CACHE_SECONDS, private=False)
