"""HTTP caching for public catalogue reads: ETag / Last-Modified and 304 answers.

Two kinds of validator, chosen by what a response depends on:

- `catalog_conditional` (a view decorator) for public reads whose body depends only on
  the URL, the language, the date (certificates expire at local midnight), the
  catalogue and the stock of the products shown: the products API, and shop pages for
  visitors without a session cookie. The ETag is derived from the catalogue version
  (see `cache.py`) and that stock (see `stockview.py`), so a matching `If-None-Match`
  is answered 304 *before* the view runs when the answer is in the shared cache: the
  version and the stock of the answer's products instead of a page of work. A catalogue
  change, on any server, changes every ETag; a sale changes only those of the answers
  showing the products sold. With `cache_body=True` the body of the answer is kept in
  the shared cache too, so a client without the page gets it without the view running
  (the public products API; anonymous shop pages). `Last-Modified` (and
  `If-Modified-Since`) only for answers showing no product's stock.
- `add_body_etag(response)` for pages that also show who is signed in (navigation,
  flash messages): the ETag is a hash of the body, so a 304 saves the transfer but
  never serves another user's or an outdated page.

Responses say `Cache-Control: no-cache` (a browser or proxy may store them but must
revalidate) and `Vary: Cookie`, so shared caches never mix visitors.
"""
from __future__ import annotations

import hashlib
import json
from functools import wraps

from flask import Response, after_this_request, current_app, request, session
from flask_babel import get_locale

from . import cache, stockview
from .cache import catalog_state, version_token
from .links import public_base_url
from .timeutil import local_today

SESSION_COOKIE_DEFAULT = "session"


def has_session_cookie() -> bool:
    return current_app.config.get("SESSION_COOKIE_NAME", SESSION_COOKIE_DEFAULT) in request.cookies


def catalog_etag(state=None) -> str:
    """What a public answer depends on apart from stock: the catalogue version (this
    request's, or `state`), the URL..."""
    # The public base URL too: without PUBLIC_BASE_URL, absolute links follow the request's host.
    basis = "|".join((version_token(state), public_base_url(), request.full_path, str(get_locale() or ""),
                      local_today().isoformat()))
    return hashlib.sha1(basis.encode()).hexdigest()[:27]


def _etag(basis: str, shown: dict[int, int]) -> str:
    """The answer's ETag: its basis and the stock of every product it shows."""
    stock = ",".join(f"{pid}:{left}" for pid, left in sorted(shown.items()))
    return hashlib.sha1(f"{basis}|{stock}".encode()).hexdigest()[:27]


def _validators(response: Response, etag: str, shown: dict[int, int]) -> Response:
    response.set_etag(etag, weak=True)
    _, changed_at = catalog_state()
    # Stock changes without moving the catalogue version: a date can only vouch for an
    # answer that shows no product's stock.
    if changed_at is not None and not shown:
        response.last_modified = changed_at
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")
    return response


def _not_modified(etag: str, shown: dict[int, int]) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    _, changed_at = catalog_state()
    return (since is not None and changed_at is not None and not shown
            and changed_at.replace(microsecond=0) <= since)


MAX_CACHED_BODY = 512 * 1024


Kept = tuple[str | None, str | None, dict[int, int]]  # mimetype, body (None if too big), stock shown


def _keep(mimetype: str, body: str | None, shown: dict[int, int]) -> str:
    """A kept answer as text: one line of JSON (type, stock shown, whether the body
    follows), then the body as it is, so a hit parses only the first line."""
    head = json.dumps({"type": mimetype, "stock": sorted(shown.items()), "whole": body is not None})
    return f"{head}\n{body or ''}"


def _kept(text: str | None) -> Kept | None:
    if text is None:
        return None
    head, _, body = text.partition("\n")
    try:
        meta = json.loads(head)
    except ValueError:
        return None
    if not isinstance(meta, dict):  # kept by an older release
        return None
    return meta["type"], body if meta["whole"] else None, {int(pid): left for pid, left in meta["stock"]}


def _still_current(kept: Kept | None) -> Kept | None:
    return kept if kept is not None and stockview.current(kept[2]) == kept[2] else None


def _cached() -> tuple[str, Kept | None]:
    """The answer's basis, and the answer kept for it if the stock it showed is still current.

    The version this process saw last is tried first, confirmed in the round trip that
    reads the kept answer (Redis) or the stock it shows (database): a hit costs one round
    trip fewer. When the version has moved, the one just read is used."""
    guess = cache.last_seen_catalog_state()
    if guess is not None:
        basis = catalog_etag(guess)
        if isinstance(cache.get_cache(), cache.RedisCache):
            kept = _kept(cache.lookup_confirming("body", basis, guess))
            if cache.catalog_state() == guess:
                return basis, _still_current(kept)
        else:
            kept = _kept(cache.lookup_text("body", basis, guess))
            if kept is not None:
                state, stock = stockview.current_with_catalog(kept[2])
                cache.adopt_catalog_state(state)
                if state == guess:
                    return basis, (kept if stock == kept[2] else None)
    basis = catalog_etag()
    return basis, _still_current(_kept(cache.lookup_text("body", basis)))


def catalog_conditional(view=None, *, anonymous_only: bool = False, cache_body: bool = False):
    """Answer 304 or a kept body without running the view, while the catalogue version and
    the stock of the products the answer shows are unchanged.

    `anonymous_only=True` for HTML pages: requests carrying a session cookie get a body
    ETag instead (the page shows the signed-in user). `cache_body=True` keeps, in the
    shared cache (`cache.py`) under the catalogue version, the body of a 200 with the stock
    of the products it showed: the next request for the URL, from anyone, on any server, is
    answered without running the view while that stock is current (`stockview.py`). Without
    the shared cache the view runs and a matching ETag still earns a 304.
    """

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            if request.method not in ("GET", "HEAD") or not current_app.config.get("HTTP_CACHE_ENABLED", True):
                return func(*args, **kwargs)
            if anonymous_only and has_session_cookie():
                after_this_request(add_body_etag)
                return func(*args, **kwargs)
            keep = cache_body and cache.enabled()
            basis, hit = _cached() if keep else (catalog_etag(), None)
            if hit is not None:
                mimetype, body, shown = hit
                etag = _etag(basis, shown)
                if _not_modified(etag, shown):
                    return _validators(Response(status=304), etag, shown)
                if body is not None:
                    return _validators(Response(body, mimetype=mimetype), etag, shown)
            stockview.watch()

            @after_this_request
            def _set(response: Response) -> Response:
                # Only a plain success is cacheable, and only when the view left no cookie
                # (e.g. a CSRF token put in a new session makes the page personal).
                if response.status_code != 200 or session.modified or response.is_streamed:
                    return response
                shown = stockview.shown()
                etag = _etag(basis, shown)
                if keep:
                    small = response.content_length is not None and response.content_length <= MAX_CACHED_BODY
                    cache.store_text("body", basis, _keep(response.mimetype,
                                                          response.get_data(as_text=True) if small else None, shown))
                _validators(response, etag, shown)
                if _not_modified(etag, shown):
                    response = _validators(Response(status=304), etag, shown)
                return response

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
