"""Errors: domain exceptions, and the API error envelope of API.md.

Services raise `DomainError` subclasses (no request objects); the API turns them
into `{"error": {"code", "message", "fields"}}` with the exception's status, and
web views catch them to show a message.
"""
from __future__ import annotations

import logging

from flask import current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 410: "gone", 413: "too_large",
    415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited",
    500: "server_error", 503: "unavailable",
}


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 fields: dict | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status
        self.fields = fields
        self.extra = extra or {}


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def error_body(status: int, message: str, code: str | None = None, fields: dict | None = None,
               extra: dict | None = None) -> dict:
    body = {"code": code or STATUS_CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    if extra:
        body.update(extra)
    return {"error": body}


def _flatten_webargs(messages) -> dict:
    """webargs reports {"json": {"field": [...]}, "query": {...}}: merge the locations."""
    fields: dict = {}
    if isinstance(messages, dict):
        for location, errors in messages.items():
            if isinstance(errors, dict):
                for name, msgs in errors.items():
                    fields.setdefault(str(name), [])
                    fields[str(name)].extend(msgs if isinstance(msgs, list) else [msgs])
            else:
                fields.setdefault(str(location), []).extend(errors if isinstance(errors, list) else [errors])
    return fields


def _json_fields(fields: dict) -> dict:
    """Make nested marshmallow error structures JSON-safe lists of strings."""
    out = {}
    for key, value in fields.items():
        if isinstance(value, dict):
            out[key] = [f"{k}: {v if isinstance(v, str) else '; '.join(map(str, v)) if isinstance(v, list) else v}"
                        for k, v in value.items()]
        elif isinstance(value, list):
            out[key] = [str(v) if not isinstance(v, (dict, list)) else str(v) for v in value]
        else:
            out[key] = [str(value)]
    return out


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    if status >= 500:
        original = getattr(error, "original_exception", None)
        if original is not None:
            log.exception("unhandled error on %s %s", request.method, request.path, exc_info=original)
    data = getattr(error, "data", None) or {}
    headers = data.get("headers") or {}
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers = {**headers, "Allow": ", ".join(error.valid_methods)}
    if is_api_request():
        fields = _flatten_webargs(data.get("errors") or data.get("messages") or {})
        message = data.get("message") or (
            "Dữ liệu không hợp lệ / Invalid input" if fields else (error.description or error.name)
        )
        if status >= 500:
            message = "Lỗi máy chủ / Internal server error"
        code = data.get("error_code")
        if isinstance(error, CSRFError):
            code, message = "csrf_failed", f"Thiếu hoặc sai mã CSRF / {error.description}"
        body = error_body(status, message, code, _json_fields(fields) if fields else None)
        response = jsonify(body)
        response.status_code = status
        for key, value in headers.items():
            response.headers[key] = value
        return response
    try:
        template = f"errors/{status}.html"
        return render_template([template, "errors/generic.html"], error=error, status=status), status, headers
    except Exception:  # a broken template must never hide the original error
        current_app.logger.exception("error page failed to render")
        return f"{status} {error.name}", status, headers


def handle_domain_error(error: DomainError):
    if is_api_request():
        response = jsonify(error_body(error.status, error.message, error.code, error.fields, error.extra))
        response.status_code = error.status
        return response
    try:
        return render_template(["errors/%d.html" % error.status, "errors/generic.html"],
                               error=error, status=error.status, message=error.message), error.status
    except Exception:
        return error.message, error.status


def register_error_handlers(app) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
