"""marshmallow fields and pagination schemas shared by the domain schemas and the API.

They sit below every domain package (like money.py and timeutil.py), so that a domain's
schemas never import the API layer: `LocalDateTime` (ISO 8601 with +07:00), `Vnd`
(integer dong), `int_param`, `PaginationQuerySchema` and `page_schema(Item)`.
"""
from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext

from .timeutil import isoformat_local

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100

# --- fields ---------------------------------------------------------------------------

class LocalDateTime(ma.fields.DateTime):
    """A UTC datetime shown in ISO 8601 with the Asia/Ho_Chi_Minh offset (…+07:00)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat_local(value)


class Vnd(ma.fields.Integer):
    """An amount of Vietnamese dong: an integer, never a float."""

    def __init__(self, **kwargs):
        kwargs.setdefault("strict", True)
        metadata = {"description": "Vietnamese dong (integer)", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)


def int_param(name: str, minimum: int | None = None, maximum: int | None = None, **kwargs) -> ma.fields.Integer:
    """An integer query parameter whose messages name it, in the request's language."""
    if minimum is not None and maximum is not None:
        error = lazy_gettext("%(name)s must be between %(minimum)s and %(maximum)s",
                             name=name, minimum=minimum, maximum=maximum)
    elif minimum is not None:
        error = lazy_gettext("%(name)s must be at least %(minimum)s", name=name, minimum=minimum)
    else:
        error = lazy_gettext("%(name)s must be at most %(maximum)s", name=name, maximum=maximum)
    validate = ma.validate.Range(min=minimum, max=maximum, error=error) if (
        minimum is not None or maximum is not None) else None
    return ma.fields.Integer(
        validate=validate,
        error_messages={"invalid": lazy_gettext("%(name)s must be a whole number", name=name)},
        **kwargs,
    )


# --- pagination -----------------------------------------------------------------------

MAX_PAGE = 100_000


class PaginationQuerySchema(ma.Schema):
    """`?page=1&per_page=20` (per_page at most 100). Subclass it for list filters."""

    # Bounded so a huge page number is a 422, not an OFFSET the database cannot hold.
    page = int_param("page", minimum=1, maximum=MAX_PAGE, load_default=1)
    per_page = int_param("per_page", minimum=1, maximum=MAX_PER_PAGE, load_default=DEFAULT_PER_PAGE)


class PageSchema(ma.Schema):
    total = ma.fields.Integer(required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)


_page_schemas: dict[type, type] = {}


def page_schema(item_schema: type[ma.Schema], base: type[ma.Schema] = PageSchema) -> type[ma.Schema]:
    """The schema of `{"items": [item_schema], "total", "page", "per_page"}` (one class per item schema)."""
    key = (item_schema, base)
    if key not in _page_schemas:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        _page_schemas[key] = type(name, (base,), {"items": ma.fields.List(ma.fields.Nested(item_schema),
                                                                          required=True)})
    return _page_schemas[key]
