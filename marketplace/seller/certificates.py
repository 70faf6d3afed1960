"""OCOP certificate claims: a producer claims one, an administrator verifies it, expiry warns.

A claim (with an optional scan, kept private) waits unverified until an administrator
verifies it; a new claim always waits again. The public badge needs a verified, unexpired
certificate (Certificate.is_live). A daily job emails producers once per claim about the
certificates expiring within CERT_EXPIRY_WARNING_DAYS (`flask seller warn-expiring`).
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from .. import audit
from ..accounts.languages import languages_of
from ..accounts.models import User
from ..catalog.models import Certificate, Producer, Product
from ..catalog.rules import clean_certificate_claim
from ..errors import ValidationFailed
from ..extensions import db
from ..mail.language import send_to_each
from ..storage import PRIVATE_PREFIX, get_storage, new_key
from ..timeutil import local_today, utcnow
from ..uploads import check_document
from .listings import delete_files
from .members import members


def apply_certificate_claim(product: Product, actor: User, claim: dict) -> Certificate:
    """Write a validated claim (not committed). A new claim always waits for verification again."""
    certificate = product.certificate
    before = None
    if certificate is None:
        certificate = Certificate(product_id=product.id)
        db.session.add(certificate)
        product.certificate = certificate
    else:
        before = {"stars": certificate.stars, "certificate_no": certificate.certificate_no,
                  "verified": certificate.verified}
    for key, value in claim.items():
        setattr(certificate, key, value)
    certificate.verified = False
    certificate.verified_at = None
    certificate.verified_by_id = None
    certificate.rejected_reason = None
    certificate.expiry_notified_at = None
    audit.record(actor, "certificate.claimed", "product", product.id, before=before, after=claim)
    return certificate


def claim_certificate(product: Product, actor: User, data: Mapping,
                      scan: tuple[str, bytes] | None = None) -> Certificate:
    """A producer's claim of an OCOP certificate, with an optional scan (photo or PDF).

    Stored unverified ("pending verification") until an admin verifies it; the public
    badge needs a verified, unexpired certificate (Certificate.is_live).
    """
    claim, errors = clean_certificate_claim(data)
    stored = None
    if scan is not None and scan[1]:
        try:
            stored = check_document(scan[1], "scan")
        except ValidationFailed as exc:
            errors["scan"] = exc.fields["scan"]
    if errors:
        raise ValidationFailed(gettext("Invalid input"), fields=errors)
    old_scan = new_scan = None
    certificate = apply_certificate_claim(product, actor, claim)
    if stored is not None:
        data_bytes, extension, content_type = stored
        new_scan = new_key(f"{PRIVATE_PREFIX}certificates/{product.id}", extension)
        get_storage().save(new_scan, data_bytes, content_type)
        old_scan, certificate.scan_path = certificate.scan_path, new_scan
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        delete_files([new_scan])
        raise
    delete_files([old_scan])
    return certificate


def expiring_certificates(producer_id: int | None = None, today: date | None = None,
                          days: int | None = None) -> list[Certificate]:
    """Verified certificates that expire within the warning window (default 60 days)."""
    today = today or local_today()
    days = current_app.config["CERT_EXPIRY_WARNING_DAYS"] if days is None else days
    query = (sa.select(Certificate).join(Product, Product.id == Certificate.product_id)
             .where(Certificate.verified.is_(True), Certificate.expires_on >= today,
                    Certificate.expires_on <= today + timedelta(days=days), Product.status != "archived")
             .order_by(Certificate.expires_on))
    if producer_id is not None:
        query = query.where(Product.producer_id == producer_id)
    return list(db.session.scalars(query))


def _expiring_message(producer: Producer, certificates: list[Certificate]) -> tuple[str, str]:
    lines = "\n".join(gettext("- %(product)s: %(number)s, %(stars)s★, expires %(day)s", product=c.product.name,
                               number=c.certificate_no, stars=c.stars, day=f"{c.expires_on:%d/%m/%Y}")
                       for c in certificates)
    return (gettext("OCOP certificates expiring soon"),
            gettext("The following OCOP certificates of %(producer)s expire soon; apply for re-assessment and "
                    "update them in the seller portal.", producer=producer.name) + f"\n\n{lines}\n")


def warn_expiring_certificates(today: date | None = None) -> int:
    """Email each producer about its certificates expiring within the window, once per claim.

    Cron-safe: a certificate is claimed with a conditional UPDATE on `expiry_notified_at`,
    committed with the message, so two runs never warn twice and a claim never loses its
    message. Returns the number of messages queued.
    """
    today = today or local_today()
    by_producer: dict[int, list[Certificate]] = {}
    for certificate in expiring_certificates(None, today):
        if certificate.expiry_notified_at is None:
            by_producer.setdefault(certificate.product.producer_id, []).append(certificate)
    sent = 0
    for producer_id, certificates in by_producer.items():
        claimed = []
        for certificate in certificates:
            result = db.session.execute(
                sa.update(Certificate).where(Certificate.id == certificate.id,
                                             Certificate.expiry_notified_at.is_(None))
                .values(expiry_notified_at=utcnow()))
            if result.rowcount == 1:
                claimed.append(certificate)
        if claimed:  # (another run may have claimed them all: then no lookups, no message)
            producer = db.session.get(Producer, producer_id)
            recipients = sorted({u.email for u in members(producer_id) if u.active} | ({producer.email} - {None}))
            if recipients:
                send_to_each(languages_of(recipients), functools.partial(_expiring_message, producer, claimed))
                sent += 1
        db.session.commit()  # the claims and the message together
    return sent
