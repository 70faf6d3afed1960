"""Errors: domain exceptions, and the API error envelope of API.md.

Services raise `DomainError` subclasses (no request objects); the API turns them
into `{"error": {"code", "message", "fields"}}` with the exception's status, and
web views catch them to show a message.

A database that cannot be reached (restarting, failing over, its file locked or gone) is
answered here, once for every view: 503 with `Retry-After`, never a 500. Nothing is
half-written (a transaction is whole or gone with its connection), so the client, or the
payment provider redelivering a notification, may simply try again; the pool's pre-ping
replaces the dead connections as soon as the database is back.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .i18n import translate_library_message

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
    """Make nested marshmallow error structures JSON-safe lists of strings, marshmallow's own
    English messages put in the request's language."""
    out = {}
    for key, value in fields.items():
        if isinstance(value, dict):
            out[key] = [f"{k}: {_message(v) if not isinstance(v, list) else '; '.join(map(_message, v))}"
                        for k, v in value.items()]
        elif isinstance(value, list):
            out[key] = [_message(v) for v in value]
        else:
            out[key] = [_message(value)]
    return out


def _message(value) -> str:
    return translate_library_message(str(value))


def _status_messages() -> dict[int, str]:
    return {
        400: _("Bad request"), 401: _("Please sign in"), 403: _("You are not allowed to do this"),
        404: _("Not found"), 405: _("Method not allowed"), 409: _("Conflict"), 410: _("Gone"),
        413: _("The request is too large"), 415: _("Unsupported media type"),
        422: _("Invalid input"), 429: _("Too many requests, try again later"),
    }


def _described(error: HTTPException, status: int) -> str:
    """The description given where the error was raised (already in the request's language),
    or, for Werkzeug's own English default, the status in the request's language."""
    if error.description and error.description != type(error).description:
        return error.description
    return _status_messages().get(status) or error.name


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    if status >= 500:
        original = getattr(error, "original_exception", None)
        if database_unavailable(original):  # raised outside a view (after_request, a teardown)
            return service_unavailable(original)
        if original is not None:
            log.exception("unhandled error on %s %s", request.method, request.path, exc_info=original)
    data = getattr(error, "data", None) or {}
    headers = data.get("headers") or {}
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers = {**headers, "Allow": ", ".join(error.valid_methods)}
    if is_api_request():
        fields = _flatten_webargs(data.get("errors") or data.get("messages") or {})
        message = data.get("message") or (
            _("Invalid input") if fields else _described(error, status)
        )
        if status >= 500:
            message = _("Internal server error")
        code = data.get("error_code")
        if isinstance(error, CSRFError):
            code, message = "csrf_failed", _("The CSRF token is missing or wrong.")
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


# SQLite reports an unreachable or busy file with these OperationalErrors; its other
# OperationalErrors ("no such table", a syntax error) are programming errors and stay 500s.
SQLITE_UNAVAILABLE = ("unable to open database file", "database is locked", "database is busy",
                      "database table is locked", "disk i/o error", "database or disk is full",
                      "attempt to write a readonly database")


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error` (or an exception it was raised from) means the database cannot be
    reached or cannot serve right now, rather than a mistake in a statement."""
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, sa.exc.TimeoutError):  # no pooled connection came free in time
            return True
        if isinstance(error, sa.exc.PendingRollbackError) and "invalid transaction" in str(error):
            return True  # the session's connection was lost mid-transaction
        if isinstance(error, sa.exc.DBAPIError):
            if error.connection_invalidated or isinstance(error, sa.exc.InterfaceError):
                return True
            if isinstance(error, sa.exc.OperationalError):
                orig = error.orig
                if orig is None or orig.__class__.__module__.startswith("psycopg"):
                    # psycopg keeps OperationalError for the server's state (connection,
                    # shutdown, resources, timeouts, serialization), never for bad SQL.
                    return True
                message = str(orig).lower()
                return any(text in message for text in SQLITE_UNAVAILABLE)
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def _wants_json() -> bool:
    """API clients and the payment providers' webhooks (JSON bodies) get JSON; browsers a page."""
    if is_api_request() or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def service_unavailable(error: BaseException):
    """503 with Retry-After: as JSON (the error envelope) or as a page that needs no database."""
    retry_after = str(current_app.config.get("UNAVAILABLE_RETRY_AFTER_S", 5))
    log.warning("database unavailable on %s %s: %s", request.method, request.path,
                str(error).splitlines()[0] if str(error) else error.__class__.__name__)
    headers = {"Retry-After": retry_after, "Cache-Control": "no-store"}
    message = _("The service is briefly unavailable. Please try again in a moment.")
    if _wants_json():
        body = error_body(503, message, "service_unavailable")
        if request.blueprint == "payment_webhooks":
            body["success"] = False  # the providers read this flag; the status makes them redeliver
        response = jsonify(body)
        response.status_code = 503
        response.headers.update(headers)
        return response
    try:
        # Rendered without the app's context processors (Flask-Login's loads the signed-in
        # user from the database), on a layout of its own (base.html reads that user too).
        from flask_babel import get_locale

        page = current_app.jinja_env.get_template("errors/503.html").render(
            status=503, request=request, current_locale=str(get_locale() or "vi"))
        return page, 503, headers
    except Exception:  # noqa: BLE001 - the answer must stay a 503 whatever happens
        current_app.logger.exception("the 503 page failed to render")
        return message, 503, {**headers, "Content-Type": "text/plain; charset=utf-8"}


def handle_database_error(error: Exception):
    if not database_unavailable(error):
        raise error  # a real fault: Flask's usual 500 path logs and answers it
    return service_unavailable(error)


def register_error_handlers(app) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    for error_class in (sa.exc.DBAPIError, sa.exc.TimeoutError, sa.exc.PendingRollbackError):
        app.register_error_handler(error_class, handle_database_error)
