"""HTTP caching for public catalogue reads: ETag / Last-Modified and 304 answers.

Two kinds of validator, chosen by what a response depends on:

- `catalog_conditional` (a view decorator) for public reads whose body depends only on
  the URL, the language, the date (certificates expire at local midnight) and the
  catalogue: the products API, and shop pages for visitors without a session cookie.
  The ETag is derived from the catalogue version (see `cache.py`), so a matching
  `If-None-Match` (or a fresh `If-Modified-Since`) is answered 304 *before* the view
  runs: one indexed query instead of a page of work. Any catalogue change, on any
  server, changes the version and so every ETag. With `cache_body=True` the body of
  the answer is kept in the shared cache too, so a client without the page gets it
  without the view running (the public products API; anonymous shop pages).
- `add_body_etag(response)` for pages that also show who is signed in (navigation,
  flash messages): the ETag is a hash of the body, so a 304 saves the transfer but
  never serves another user's or an outdated page.

Responses say `Cache-Control: no-cache` (a browser or proxy may store them but must
revalidate) and `Vary: Cookie`, so shared caches never mix visitors.
"""
from __future__ import annotations

import hashlib
from functools import wraps

from flask import Response, after_this_request, current_app, request, session
from flask_babel import get_locale

from . import cache
from .cache import catalog_state, version_token
from .links import public_base_url
from .timeutil import local_today

SESSION_COOKIE_DEFAULT = "session"


def has_session_cookie() -> bool:
    return current_app.config.get("SESSION_COOKIE_NAME", SESSION_COOKIE_DEFAULT) in request.cookies


def catalog_etag() -> str:
    # The public base URL too: without PUBLIC_BASE_URL, absolute links follow the request's host.
    basis = "|".join((version_token(), public_base_url(), request.full_path, str(get_locale() or ""),
                      local_today().isoformat()))
    return hashlib.sha1(basis.encode()).hexdigest()[:27]


def _validators(response: Response, etag: str) -> Response:
    response.set_etag(etag, weak=True)
    _, changed_at = catalog_state()
    if changed_at is not None:
        response.last_modified = changed_at
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")
    return response


def _not_modified(etag: str) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    _, changed_at = catalog_state()
    return since is not None and changed_at is not None and changed_at.replace(microsecond=0) <= since


MAX_CACHED_BODY = 512 * 1024


def catalog_conditional(view=None, *, anonymous_only: bool = False, cache_body: bool = False):
    """Answer 304 from the catalogue version, before the view runs.

    `anonymous_only=True` for HTML pages: requests carrying a session cookie get a body
    ETag instead (the page shows the signed-in user). `cache_body=True` also keeps the
    body of a 200 in the shared cache (`cache.py`) under the same version: the next
    request for the URL, from anyone, on any server, is answered without running the view.
    """

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            if request.method not in ("GET", "HEAD") or not current_app.config.get("HTTP_CACHE_ENABLED", True):
                return func(*args, **kwargs)
            if anonymous_only and has_session_cookie():
                after_this_request(add_body_etag)
                return func(*args, **kwargs)
            etag = catalog_etag()
            if _not_modified(etag):
                return _validators(Response(status=304), etag)
            keep = cache_body and cache.enabled()
            if keep:
                hit = cache.lookup("body", etag)
                if hit is not None:
                    return _validators(Response(hit[1], mimetype=hit[0]), etag)

            @after_this_request
            def _set(response: Response) -> Response:
                # Only a plain success is cacheable, and only when the view left no cookie
                # (e.g. a CSRF token put in a new session makes the page personal).
                if response.status_code != 200 or session.modified:
                    return response
                if keep and not response.is_streamed and response.content_length \
                        and response.content_length <= MAX_CACHED_BODY:
                    cache.store("body", etag, [response.mimetype, response.get_data(as_text=True)])
                return _validators(response, etag)

            return func(*args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator


def add_body_etag(response: Response) -> Response:
    """ETag from the body, and 304 when the client already has it (personal pages)."""
    if request.method in ("GET", "HEAD") and response.status_code == 200 and not response.is_streamed \
            and current_app.config.get("HTTP_CACHE_ENABLED", True):
        response.add_etag(weak=True)
        response.headers["Cache-Control"] = "private, no-cache"
        response.vary.add("Cookie")
        response.make_conditional(request)
    return response
