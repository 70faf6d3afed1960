"""GS1 Digital Links of lots, their short signatures, and counting a label's scans."""
from __future__ import annotations

import base64
import hashlib
import hmac

import sqlalchemy as sa
from flask import current_app, url_for

from .. import cache
from ..catalog.models import Product
from ..extensions import db
from ..timeutil import utcnow
from .models import Lot

SIGNATURE_BYTES = 8  # 64 bits, 11 characters in the QR: short enough for a small label


def signature(lot_id: int) -> str:
    """The label's short signature of a lot: an HMAC keyed by the app's SECRET_KEY."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"gs1-digital-link:lot:{lot_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:SIGNATURE_BYTES]).rstrip(b"=").decode()


def signature_valid(lot_id: int, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(signature(lot_id), str(given))


def digital_link(lot: Lot, signed: bool = False) -> str:
    """The lot's GS1 Digital Link: /01/{GTIN-14}/10/{lot} with a GTIN, else /p/{slug}/10/{lot}."""
    extra = {"s": signature(lot.id)} if signed else {}
    product = lot.product
    if product.gtin:
        return url_for("traceability.resolve_gtin", gtin=product.gtin, code=lot.code, _external=True, **extra)
    return url_for("traceability.resolve_slug", slug=product.slug, code=lot.code, _external=True, **extra)


def _scan_statements(identifier: sa.Column) -> tuple[sa.Select, sa.Update]:
    """The two statements of a scan for one kind of identifier (a product's GTIN or slug),
    built once: the lot's id for (identifier, code), and the counter's UPDATE ... RETURNING,
    which also checks that a remembered id still fits (a lot's code or a product's GTIN may
    have changed since). Parameters :ident and :lot_code, and :lot_id and :now for the UPDATE."""
    lots = Lot.__table__
    product_id = sa.select(Product.id).where(identifier == sa.bindparam("ident")).scalar_subquery()
    fits = sa.and_(lots.c.code == sa.bindparam("lot_code"), lots.c.product_id == product_id)
    now = sa.bindparam("now", type_=lots.c.last_scanned_at.type)
    lookup = sa.select(lots.c.id).where(fits)
    count = (sa.update(lots).where(lots.c.id == sa.bindparam("lot_id"), fits)
             # updated_at kept: it keys the cached passport page, which a scan does not change.
             .values(scan_count=lots.c.scan_count + 1, updated_at=lots.c.updated_at,
                     first_scanned_at=sa.func.coalesce(lots.c.first_scanned_at, now), last_scanned_at=now)
             .returning(lots.c.id))
    return lookup, count


_BY_GTIN = _scan_statements(Product.gtin)
_BY_SLUG = _scan_statements(Product.slug)


def _counter_engine() -> sa.Engine | None:
    """Where a scan's UPDATE runs. On PostgreSQL: a small autocommit pool of its own whose
    commits do not wait for the WAL to reach the disk (synchronous_commit off): the counter
    is hammered on one row, so every scan would otherwise queue behind the previous one's
    flush. The one risk is losing the last fraction of a second of scans if the database
    server itself crashes, never a wrong count; nothing else is written through this pool.
    Elsewhere the autocommit pool of `cache.version_engine()`."""
    app = current_app._get_current_object()
    if "ocop_trace_counter_engine" not in app.extensions:
        main = db.engine
        engine = cache.version_engine()
        if main.dialect.name == "postgresql":
            connect_args = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("connect_args", {}))
            connect_args["options"] = (connect_args.get("options", "") + " -c synchronous_commit=off").strip()
            engine = sa.create_engine(main.url, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=2,
                                      connect_args=connect_args)
        app.extensions.setdefault("ocop_trace_counter_engine", engine)
    return app.extensions["ocop_trace_counter_engine"]


def execute_alone(statement, params: dict, engine: sa.Engine | None = None):
    """One statement as its own transaction, its first row: on the autocommit pool that
    `cache.version_engine()` keeps (no pre-ping, BEGIN or COMMIT round trips; a connection
    the database dropped is replaced and the statement run once more), or on the request's
    session, committed, when the app has no such pool (an in-memory SQLite database)."""
    engine = engine or cache.version_engine()
    if engine is None:
        row = db.session.execute(statement.execution_options(synchronize_session=False)
                                 if isinstance(statement, sa.Update) else statement, params).first()
        db.session.commit()
        return row
    try:
        with engine.connect() as conn:
            return conn.execute(statement, params).first()
    except sa.exc.DBAPIError as exc:
        if not exc.connection_invalidated:  # a pooled connection the database dropped: once more
            raise
        with engine.connect() as conn:
            return conn.execute(statement, params).first()


def scan(code: str, given: str | None, gtin: str | None = None, slug: str | None = None) -> int | None:
    """A label's scan of /01/{gtin}/10/{code} or /p/{slug}/10/{code} with signature `given`:
    counted and the lot's id returned when the code is genuine, else None (nothing counted).

    The lot's id for the identifier is remembered in the cache, so a scan is one statement:
    the counter's UPDATE ... RETURNING, which also checks that the id still belongs to the
    identifier (a lot's code or a product's GTIN may have changed since). Concurrent scans
    never lose a count: each increments in the database; the first scan's time is set once."""
    if gtin is not None and (len(gtin) != 14 or not gtin.isdigit()):
        return None
    lookup, count = _BY_GTIN if gtin is not None else _BY_SLUG
    params = {"ident": gtin if gtin is not None else slug, "lot_code": code}
    key = f"trace-link:{'01/' + gtin if gtin is not None else 'p/' + str(slug)}/10/{code}"
    store = cache.get_cache() if cache.enabled() else None
    hit = store.get(key) if store is not None else None
    lot_id = int(hit) if hit else None
    for _attempt in range(2):
        remembered = lot_id is not None
        if lot_id is None:
            row = execute_alone(lookup, params)
            if row is None:
                return None
            lot_id = row[0]
            if store is not None:
                store.set(key, str(lot_id), current_app.config.get("CACHE_TTL_S", 300))
        if not signature_valid(lot_id, given):
            if remembered:  # perhaps another lot holds this code now: check the database
                lot_id = None
                continue
            return None
        if execute_alone(count, {**params, "lot_id": lot_id, "now": utcnow()}, _counter_engine()) is not None:
            return lot_id
        lot_id = None  # the remembered id no longer fits the identifier: look it up again
    return None
