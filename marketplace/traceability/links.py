"""GS1 Digital Links of lots, their short signatures, and counting a label's scans."""
from __future__ import annotations

import base64
import hashlib
import hmac

import sqlalchemy as sa
from flask import current_app, url_for

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


def resolve(code: str, gtin: str | None = None, slug: str | None = None) -> Lot | None:
    query = sa.select(Lot).join(Product, Product.id == Lot.product_id).where(Lot.code == code)
    if gtin is not None:
        if len(gtin) != 14 or not gtin.isdigit():
            return None
        query = query.where(Product.gtin == gtin)
    else:
        query = query.where(Product.slug == slug)
    return db.session.scalar(query)


def record_scan(lot_id: int) -> None:
    """Count one scan in a single UPDATE, so concurrent scans never lose a count; the first
    scan's time is set once."""
    now = utcnow()
    db.session.execute(sa.update(Lot).where(Lot.id == lot_id).values(
        scan_count=Lot.scan_count + 1, first_scanned_at=sa.func.coalesce(Lot.first_scanned_at, now),
        last_scanned_at=now).execution_options(synchronize_session=False))
    db.session.commit()
