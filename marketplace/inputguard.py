"""One guard, before every view, against input no view should ever have to think about.

Whatever a request carries reaches the database somewhere: a path segment becomes a
slug lookup, a query parameter a filter, a form or JSON string a column. PostgreSQL
refuses a NUL character in text and nothing can encode a lone UTF-16 surrogate, so such
a value would turn into a 500 deep inside a query. The guard answers instead:

- a NUL or a surrogate in the path: 404 (no name holds one);
- in a query parameter, a form field or any JSON string or key: 400 naming the field;
- a multipart field whose name does not parse (a line break in it): 400;
- a JSON body that does not parse, nests deeper than `MAX_JSON_DEPTH`, or holds an
  integer too long to convert (Python refuses more than 4,300 digits): 400.

The bodies are parsed here with the same `json` module webargs uses afterwards, so what
passes the guard cannot raise RecursionError or ValueError later.
"""
from __future__ import annotations

import json

from flask import request
from flask_babel import gettext as _

from .errors import DomainError, NotFound
from .validators import has_unstorable

# Deeper than any body of the API (checkout: object > list > object); far below the
# recursion limit, so nothing walking a body ever recurses out of stack.
MAX_JSON_DEPTH = 32


class BadInput(DomainError):
    status = 400
    code = "bad_request"


def _refuse(field: str) -> BadInput:
    message = _("The request contains characters that are not allowed (a NUL byte or an invalid code point).")
    return BadInput(message, code="invalid_characters", fields={field: [message]})


def _check_json(value, path: str, depth: int = 0) -> None:
    """Walk a parsed body: strings and keys storable, nesting bounded (iterative enough:
    the depth is checked before descending)."""
    if depth > MAX_JSON_DEPTH:
        message = _("The JSON body is nested too deeply.")
        raise BadInput(message, code="invalid_json", fields={path or "json": [message]})
    if isinstance(value, str):
        if has_unstorable(value):
            raise _refuse(path or "json")
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if has_unstorable(key):
                raise _refuse(path or "json")
            _check_json(item, name, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{path}[{index}]" if path else f"[{index}]", depth + 1)


def _json_body():
    data = request.get_data(cache=True)
    if not data:
        return None
    try:
        return json.loads(data)
    except (RecursionError, ValueError):  # JSONDecodeError, UnicodeDecodeError, too many digits
        message = _("The request body is not valid JSON.")
        raise BadInput(message, code="invalid_json", fields={"json": [message]}) from None


# The payment providers' webhooks parse and authenticate their bodies themselves and must
# answer the provider in its own terms (payments/webhooks.py): only their URL is checked here.
OWN_BODY_BLUEPRINTS = frozenset({"payment_webhooks"})


def reject_unsafe_input():
    """before_request: refuse (404/400, the error envelope on the API) what no column can hold."""
    if has_unstorable(request.path):
        raise NotFound(_("Not found."))
    for key, value in request.args.items(multi=True):
        if has_unstorable(key) or has_unstorable(value):
            raise _refuse(key)
    if request.method in ("GET", "HEAD", "OPTIONS") or request.blueprint in OWN_BODY_BLUEPRINTS:
        return
    if request.is_json:
        _check_json(_json_body(), "")
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if None in request.form or None in request.files:  # a multipart name broken by a line break
            message = _("A form field's name could not be read.")
            raise BadInput(message, code="invalid_form", fields={"form": [message]})
        for key, value in request.form.items(multi=True):
            if has_unstorable(key) or has_unstorable(value):
                raise _refuse(key)
        for key, upload in request.files.items(multi=True):
            if has_unstorable(upload.filename or ""):
                raise _refuse(key)
