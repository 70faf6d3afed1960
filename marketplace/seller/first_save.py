"""A new listing with its photos and OCOP certificate in one save.

Staff who rarely use a computer fill one form and press Save once: the listing, its photos
and (when they enter one) the certificate claim are all checked first, every error shown
together, and then written in one transaction, or nothing is written.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext

from .. import audit
from ..accounts.models import User
from ..catalog.models import Product
from ..errors import ValidationFailed
from ..extensions import db
from ..storage import PRIVATE_PREFIX, new_key
from ..uploads import check_document
from . import services

CERTIFICATE_FIELDS = ("certificate_no", "issued_on", "expires_on")


def wants_certificate(data: Mapping, scan: tuple[str, bytes] | None) -> bool:
    """The seller started a certificate claim (its number, a date, or a scan)."""
    return bool(scan and scan[1]) or any(str(data.get(k) or "").strip() for k in CERTIFICATE_FIELDS)


def create_listing(producer_id: int, actor: User, data: Mapping, photos: list[tuple[str, bytes]] = (),
                   scan: tuple[str, bytes] | None = None) -> Product:
    """The product (a draft unless `status` says otherwise), its photos and its certificate claim."""
    cleaned, errors = services.clean_product_fields({"status": "draft", **data})
    photos = [(name, content) for name, content in photos if content or name]
    processed = []
    if photos:
        try:
            processed = services.check_photos(0, photos)
        except ValidationFailed as exc:
            errors.update(exc.fields or {})
    claim = stored_scan = None
    if wants_certificate(data, scan):
        claim, claim_errors = services.clean_certificate_claim(data)
        errors.update(claim_errors)
        if scan and scan[1]:
            try:
                stored_scan = check_document(scan[1], "scan")
            except ValidationFailed as exc:
                errors.update(exc.fields or {"scan": [exc.message]})
    if errors:
        raise ValidationFailed(gettext("Invalid input"), fields=errors)

    product = Product(slug=services.unique_slug(Product, cleaned["name"], 200), producer_id=producer_id, **cleaned)
    db.session.add(product)
    db.session.flush()
    audit.record(actor, "product.created", "product", product.id, after=services.snapshot(product))
    _created, writes = services.attach_photos(product, processed)
    if claim is not None:
        certificate = services.apply_certificate_claim(product, actor, claim)
        if stored_scan is not None:
            content, extension, content_type = stored_scan
            certificate.scan_path = new_key(f"{PRIVATE_PREFIX}certificates/{product.id}", extension)
            writes.append((certificate.scan_path, content, content_type))
    # Files first, then the rows: a failed commit leaves only unreferenced files, removed here.
    services.store_files(writes)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        services.delete_files(key for key, _, _ in writes)
        raise
    return product
