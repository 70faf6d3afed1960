"""A new listing with its photos and OCOP certificate in one save.

Staff who rarely use a computer fill one form and press Save once: the listing, its photos
and (when they enter one) the certificate claim are all checked first, every error shown
together, and then written in one transaction, or nothing is written.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext

from ..accounts.models import User
from ..catalog.models import Product
from ..catalog.rules import clean_certificate_claim, clean_product_fields
from ..errors import ValidationFailed
from ..storage import PRIVATE_PREFIX, new_key
from ..uploads import check_document
from .certificates import apply_certificate_claim
from .listings import add_product, commit_with_files
from .photos import attach_photos, check_photos

CERTIFICATE_FIELDS = ("certificate_no", "issued_on", "expires_on")


def wants_certificate(data: Mapping, scan: tuple[str, bytes] | None) -> bool:
    """The seller started a certificate claim (its number, a date, or a scan)."""
    return bool(scan and scan[1]) or any(str(data.get(k) or "").strip() for k in CERTIFICATE_FIELDS)


def create_listing(producer_id: int, actor: User, data: Mapping, photos: list[tuple[str, bytes]] = (),
                   scan: tuple[str, bytes] | None = None) -> Product:
    """The product (a draft unless `status` says otherwise), its photos and its certificate claim."""
    cleaned, errors = clean_product_fields({"status": "draft", **data})
    photos = [(name, content) for name, content in photos if content or name]
    processed = []
    if photos:
        try:
            processed = check_photos(0, photos)
        except ValidationFailed as exc:
            errors.update(exc.fields or {})
    claim = stored_scan = None
    if wants_certificate(data, scan):
        claim, claim_errors = clean_certificate_claim(data)
        errors.update(claim_errors)
        if scan and scan[1]:
            try:
                stored_scan = check_document(scan[1], "scan")
            except ValidationFailed as exc:
                errors.update(exc.fields or {"scan": [exc.message]})
    if errors:
        raise ValidationFailed(gettext("Invalid input"), fields=errors)

    product = add_product(producer_id, actor, cleaned)
    _created, writes = attach_photos(product, processed)
    if claim is not None:
        certificate = apply_certificate_claim(product, actor, claim)
        if stored_scan is not None:
            content, extension, content_type = stored_scan
            certificate.scan_path = new_key(f"{PRIVATE_PREFIX}certificates/{product.id}", extension)
            writes.append((certificate.scan_path, content, content_type))
    commit_with_files(writes)
    return product
