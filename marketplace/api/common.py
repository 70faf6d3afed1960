"""Building blocks every API module shares.

- `ApiBlueprint`: a flask-smorest Blueprint with `.errors(*codes)` (documents error
  responses with the error envelope) and `.auth_required(*roles)` (enforces sign-in or
  roles and documents the security schemes, 401 and 403).
- `ErrorSchema`: the envelope `{"error": {"code", "message", "fields"}}` of API.md; the Api
  uses it for every documented error response (see MarketplaceApi in marketplace/__init__.py).
- `PaginationQuerySchema` (page >= 1, per_page 1..100, default 20), `page_body()` and
  `paginate()` producing `{"items", "total", "page", "per_page"}`, and `page_schema(Item)`
  documenting such a body.
- `LocalDateTime` (ISO 8601 with +07:00) and `Vnd` (integer dong) fields.
- `SECURITY_SCHEMES`: Bearer token and session cookie, registered by register_api().
- `link_to()` and `ApiBlueprint.links()`: OpenAPI links from a response to the operations
  that take its ids (clients, and the stateful fuzzer, follow them).
"""
from __future__ import annotations

from http import HTTPStatus

import marshmallow as ma
import sqlalchemy as sa
from flask_login import login_required
from flask_smorest import Blueprint

from ..extensions import db
# The fields and pagination schemas live below the domains (domain schemas use them too);
# re-exported here for the API modules.
from ..schema_fields import (  # noqa: F401
    DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, LocalDateTime, PageSchema, PaginationQuerySchema, Vnd, int_param,
    page_schema,
)


API_PREFIX = "/api/v1"

SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "A token from POST /api/v1/auth/tokens: `Authorization: Bearer <token>`."},
    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                   "description": "The session cookie set by POST /api/v1/auth/login (with `remember`, also a "
                                  "`remember_token` cookie); both end at POST /api/v1/auth/logout. Mutating "
                                  "requests that carry either cookie must send `X-CSRFToken` (from GET "
                                  "/api/v1/auth/csrf). A request with a Bearer header ignores the cookies; one "
                                  "with neither needs no CSRF token but must send JSON bodies "
                                  "(415 otherwise)."},
}
# Either scheme is enough.
AUTH_SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]


# --- errors ---------------------------------------------------------------------------

class ErrorDetailSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "snake_case error code", "example": "not_found"})
    message = ma.fields.String(required=True, metadata={"description": "Human-readable, in the request's language: Vietnamese unless `?lang=en` or Accept-Language asks for English"})
    fields = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Validation errors only: field name -> messages"},
    )
    # Conflicts about one product (out of stock, no longer sold) name it, so a client can fix its cart.
    product_id = ma.fields.Integer(metadata={"description": "409 about one product: its id"})
    product_name = ma.fields.String(metadata={"description": "409 about one product: its name"})
    available = ma.fields.Integer(metadata={"description": "409 insufficient_stock: the stock left"})
    requested = ma.fields.Integer(metadata={"description": "409 insufficient_stock: the quantity asked for"})
    stock = ma.fields.Integer(metadata={"description": "412 stale_stock: a listing's stock now"})
    provider_code = ma.fields.String(metadata={
        "description": "409 provider_rejected (e-invoices): the provider's own error code"})


class ErrorSchema(ma.Schema):
    """The error envelope of every 4xx/5xx answer."""

    error = ma.fields.Nested(ErrorDetailSchema, required=True)


def error_response_name(code: int) -> str:
    """The OpenAPI response component flask-smorest registers for a status (e.g. NOT_FOUND)."""
    return HTTPStatus(code).name


# --- blueprint ------------------------------------------------------------------------

class ApiBlueprint(Blueprint):
    """flask-smorest Blueprint with error-response and authentication helpers."""

    def errors(self, *codes: int):
        """Document these error statuses (body: ErrorSchema) on an operation."""

        def decorator(func):
            for code in codes:
                func = self.alt_response(code, response=error_response_name(code))(func)
            return func

        return decorator

    def file_response(self, mimetype: str, description: str, binary: bool = True, status: int = 200):
        """Document a file answer (a download or an export): its media type, as a string schema."""
        schema = {"type": "string", "format": "binary"} if binary else {"type": "string"}
        return self.doc(responses={str(status): {"description": description,
                                                 "content": {mimetype: {"schema": schema}}}})

    def links(self, status: int, **links: dict):
        """Document OpenAPI links (name -> `link_to(...)`) on the `status` response of an operation."""
        return self.doc(responses={status: {"links": links}})

    def auth_required(self, *roles: str):
        """Require a signed-in user (cookie or Bearer), with one of `roles` if given.

        401 when anonymous, 403 when the role does not match. Place it right under
        `@blp.route` so that authentication is checked before the input is parsed.
        """
        from ..accounts.auth import role_required

        def decorator(func):
            guarded = role_required(*roles)(func) if roles else login_required(func)
            guarded = self.doc(security=AUTH_SECURITY)(guarded)
            return self.errors(401, 403)(guarded) if roles else self.errors(401)(guarded)

        return decorator


def link_to(method: str, path: str, description: str = "", **parameters: str) -> dict:
    """An OpenAPI link to the operation `method path` (the path as documented, below /api/v1).

    `parameters` map the target's parameters to runtime expressions, e.g.
    `product_id="$response.body#/id"` or `code="$response.body#/items/0/code"`.
    """
    pointer = (API_PREFIX + path).replace("~", "~0").replace("/", "~1")
    link = {"operationRef": f"#/paths/{pointer}/{method.lower()}", "parameters": parameters}
    if description:
        link["description"] = description
    return link


def page_body(items, total: int, page: int, per_page: int, **extra) -> dict:
    """The list body of API.md."""
    return {"items": list(items), "total": total, "page": page, "per_page": per_page, **extra}


def paginate(select: sa.Select, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> dict:
    """Run an ORM select for one page (two queries: count and rows) and return `page_body`.

    The select must already be ordered; eager-load what the item schema needs.
    """
    page = max(1, page)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(select.order_by(None).subquery())) or 0
    items = db.session.scalars(select.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return page_body(items, total, page, per_page)

