"""The OCOP office's rules: approving and suspending producers, verifying star ratings.

Every change here writes an audit row (marketplace.audit.record) in the same
transaction as the change it describes. Mail goes out only after the commit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from ..accounts.languages import languages_of
from ..accounts.models import User
from ..audit import AuditEntry, record
from ..catalog.models import OCOP_MIN_STARS, Category, Certificate, Locality, Producer, Product
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..mail.language import send_to_each
from ..timeutil import local_start_utc, local_today, utcnow
from ..validators import slugify

MAX_PER_PAGE = 100
PRODUCER_STATUSES = ("all", "pending", "approved", "suspended", "clash")


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _paginate(query: sa.Select, page: int, per_page: int, count_query: sa.Select | None = None) -> Page:
    page, per_page = max(1, int(page)), max(1, min(int(per_page), MAX_PER_PAGE))
    count_query = count_query if count_query is not None else sa.select(sa.func.count()).select_from(
        query.order_by(None).subquery())
    total = db.session.scalar(count_query) or 0
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items, total, page, per_page)


# --- accounts ------------------------------------------------------------------------------------

def list_users(q: str | None = None, page: int = 1, per_page: int = 50) -> Page:
    """Accounts, newest first; `q` matches the email or the name."""
    query = sa.select(User).order_by(User.created_at.desc(), User.id.desc())
    q = (q or "").strip()
    if q:
        query = query.where(sa.or_(User.email.ilike(f"%{q}%"), User.full_name.ilike(f"%{q}%")))
    return _paginate(query, page, per_page)


def sign_out_everywhere(actor, user_id: int) -> User:
    """End every session and API token of an account (e.g. reported stolen); audited."""
    from ..accounts.sessions import end_other_sessions

    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("Account not found"))
    # An admin signing their own account out everywhere keeps the session doing it.
    keep = getattr(actor, "session_key", None) if getattr(actor, "id", None) == user.id else None
    sessions, tokens = end_other_sessions(user.id, keep_session=keep, commit=False)
    record(actor, "account.sign_out_everywhere", "user", user.id,
           after={"sessions_ended": sessions, "tokens_ended": tokens})
    db.session.commit()
    return user


# --- producers -----------------------------------------------------------------------------------

def producer_snapshot(producer: Producer) -> dict:
    return {"approved": producer.approved, "approved_at": producer.approved_at,
            "suspended_at": producer.suspended_at, "suspension_reason": producer.suspension_reason}


def _other_claims(producer=Producer) -> sa.ColumnElement:
    """How many other producers claim the producer's tax code (correlated subquery)."""
    other = sa.orm.aliased(Producer)
    return (sa.select(sa.func.count(other.id))
            .where(other.tax_code == producer.tax_code, other.id != producer.id)
            .correlate(producer).scalar_subquery())


def _producer_conditions(q: str | None, status: str) -> list:
    conditions = []
    if status == "clash":
        conditions.append(_other_claims() > 0)
    if status == "pending":
        conditions.append(Producer.approved.is_(False))
    elif status == "approved":
        conditions.append(Producer.selling_clause())
    elif status == "suspended":
        conditions.append(Producer.suspended_at.is_not(None))
    q = (q or "").strip()
    if q:
        folded = slugify(q, max_length=160)
        conditions.append(sa.or_(Producer.name.ilike(f"%{q}%"), Producer.slug.like(f"%{folded}%"),
                                 Producer.tax_code.like(f"{q}%"), Producer.email.ilike(f"%{q}%")))
    return conditions


def list_producers(q: str | None = None, status: str = "all", page: int = 1, per_page: int = 50) -> Page:
    """Producers, newest first, each with its number of active listings and of other producers
    claiming its tax code (two queries in all). Status "clash": only producers whose tax code
    another also claims, grouped by tax code."""
    if status not in PRODUCER_STATUSES:
        raise ValidationFailed(_("Unknown status"),
                               fields={"status": [_("One of: %(values)s", values=", ".join(PRODUCER_STATUSES))]})
    conditions = _producer_conditions(q, status)
    active = (sa.select(sa.func.count(Product.id))
              .where(Product.producer_id == Producer.id, Product.status == "active")
              .correlate(Producer).scalar_subquery())
    query = (sa.select(Producer, active.label("active_products"), _other_claims().label("other_claims"))
             .where(*conditions))
    # Claims of one tax code next to each other, so the admin compares them.
    query = query.order_by(Producer.tax_code, Producer.created_at) if status == "clash" else query.order_by(
        Producer.created_at.desc(), Producer.id.desc())
    page, per_page = max(1, int(page)), max(1, min(int(per_page), MAX_PER_PAGE))
    total = db.session.scalar(sa.select(sa.func.count(Producer.id)).where(*conditions)) or 0
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    items = []
    for producer, count, claims in rows:
        producer.active_products = count
        producer.other_claims = claims
        items.append(producer)
    return Page(items, total, page, per_page)


def get_producer(producer_id: int, lock: bool = False) -> Producer:
    query = sa.select(Producer).where(Producer.id == producer_id)
    producer = db.session.scalar(query.with_for_update(of=Producer) if lock else query)
    if producer is None:
        raise NotFound(_("Producer not found"))
    return producer


def producer_recipients(producer: Producer) -> list[str]:
    """The producer's contact email and its sellers' emails."""
    emails = [producer.email] if producer.email else []
    emails += db.session.scalars(sa.select(User.email).where(
        User.producer_id == producer.id, User.role == "seller", User.active.is_(True)).order_by(User.id))
    return list(dict.fromkeys(e for e in emails if e))


def _tell_producer(producer: Producer, compose) -> None:
    """Queue a message to the producer's readers, each in their own language (`compose()` gives
    subject and text)."""
    send_to_each(languages_of(producer_recipients(producer)), compose)


def _check_tax_code_free(producer: Producer) -> None:
    """One producer per tax code may sell: refuse while another claimant of the code does
    (the admin suspends that one first). The partial unique index is the backstop."""
    if not producer.tax_code:
        return
    holder = db.session.scalar(sa.select(Producer).where(
        Producer.tax_code == producer.tax_code, Producer.id != producer.id, Producer.selling_clause()))
    if holder is not None:
        raise Conflict(_("%(name)s already sells under tax code %(code)s; suspend it first.",
                         name=holder.name, code=producer.tax_code), code="tax_code_clash")


def approve_producer(actor, producer_id: int) -> Producer:
    """Allow a producer to sell. Approving an approved producer changes nothing."""
    producer = get_producer(producer_id, lock=True)
    if producer.approved:
        return producer
    _check_tax_code_free(producer)
    before = producer_snapshot(producer)
    producer.approved = True
    producer.approved_at = utcnow()
    record(actor, "producer.approve", "producer", producer.id, before, producer_snapshot(producer))
    _tell_producer(producer, lambda: (
        _("[OCOP Quang Ninh] %(name)s: approved", name=producer.name),
        _("%(name)s has been approved and may now sell on the OCOP Quang Ninh marketplace.", name=producer.name)))
    db.session.commit()
    return producer


def _reason(reason: str | None, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        message = _("A reason is required")
        raise ValidationFailed(message, fields={field: [message]})
    if len(reason) > 2000:
        raise ValidationFailed(_("Reason too long"), fields={field: [_("At most %(n)d characters", n=2000)]})
    return reason


def suspend_producer(actor, producer_id: int, reason: str) -> Producer:
    """Take a producer's listings out of the shop at once (Product.public_clause); open orders go on."""
    reason = _reason(reason)
    producer = get_producer(producer_id, lock=True)
    before = producer_snapshot(producer)
    producer.suspended_at = producer.suspended_at or utcnow()
    producer.suspension_reason = reason
    record(actor, "producer.suspend", "producer", producer.id, before, producer_snapshot(producer), note=reason)
    _tell_producer(producer, lambda: (
        _("[OCOP Quang Ninh] %(name)s: suspended", name=producer.name),
        _("The shop of %(name)s has been suspended. Reason: %(reason)s\nOpen orders must still be fulfilled.",
          name=producer.name, reason=reason)))
    db.session.commit()
    return producer


def reinstate_producer(actor, producer_id: int) -> Producer:
    producer = get_producer(producer_id, lock=True)
    if producer.suspended_at is None:
        return producer
    _check_tax_code_free(producer)
    before = producer_snapshot(producer)
    producer.suspended_at = None
    producer.suspension_reason = None
    record(actor, "producer.reinstate", "producer", producer.id, before, producer_snapshot(producer))
    db.session.commit()
    return producer


# --- certificates --------------------------------------------------------------------------------

def certificate_snapshot(cert: Certificate) -> dict:
    return {"stars": cert.stars, "certificate_no": cert.certificate_no, "level": cert.level,
            "issued_on": cert.issued_on, "expires_on": cert.expires_on, "verified": cert.verified,
            "rejected_reason": cert.rejected_reason}


def _certificates_query() -> sa.Select:
    return (sa.select(Certificate).join(Certificate.product).join(Product.producer)
            .options(contains_eager(Certificate.product).contains_eager(Product.producer),
                     contains_eager(Certificate.product).lazyload(Product.images)))


def pending_certificates(page: int = 1, per_page: int = 50) -> Page:
    """Claims waiting for a decision, oldest first, with product and producer (two queries)."""
    pending = sa.and_(Certificate.verified.is_(False), Certificate.rejected_reason.is_(None))
    query = _certificates_query().where(pending).order_by(Certificate.updated_at, Certificate.id)
    return _paginate(query, page, per_page, sa.select(sa.func.count(Certificate.id)).where(pending))


def get_certificate(cert_id: int, lock: bool = False) -> Certificate:
    query = _certificates_query().where(Certificate.id == cert_id)
    if lock:
        query = query.with_for_update(of=Certificate)
    cert = db.session.scalar(query)
    if cert is None:
        raise NotFound(_("Certificate not found"))
    return cert


def _check_terms(stars, certificate_no, issued_on, expires_on) -> None:
    errors: dict[str, list[str]] = {}
    if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
        errors["stars"] = [_("Stars must be 1 to 5")]
    if not (certificate_no or "").strip() or len(certificate_no.strip()) > 60:
        errors["certificate_no"] = [_("Certificate number required (max 60 characters)")]
    if not isinstance(issued_on, date):
        errors["issued_on"] = [_("Invalid issue date")]
    if not isinstance(expires_on, date):
        errors["expires_on"] = [_("Invalid expiry date")]
    elif isinstance(issued_on, date) and expires_on <= issued_on:
        errors["expires_on"] = [_("Expiry must be after the issue date")]
    if errors:
        raise ValidationFailed(_("Invalid certificate data"), fields=errors)


def _mark_verified(actor, cert: Certificate, before: dict, note: str = "") -> None:
    cert.verified = True
    cert.verified_at = utcnow()
    cert.verified_by_id = getattr(actor, "id", None)
    cert.rejected_reason = None
    cert.expiry_notified_at = None
    record(actor, "certificate.verify", "certificate", cert.id, before, certificate_snapshot(cert), note=note)


def verify_certificate(actor, cert_id: int, note: str = "") -> Certificate:
    cert = get_certificate(cert_id, lock=True)
    _check_terms(cert.stars, cert.certificate_no, cert.issued_on, cert.expires_on)
    _mark_verified(actor, cert, certificate_snapshot(cert), note)
    db.session.commit()
    return cert


def _mark_rejected(actor, cert: Certificate, reason: str) -> None:
    before = certificate_snapshot(cert)
    cert.verified = False
    cert.verified_at = None
    cert.verified_by_id = getattr(actor, "id", None)
    cert.rejected_reason = reason
    record(actor, "certificate.reject", "certificate", cert.id, before, certificate_snapshot(cert), note=reason)


def reject_certificate(actor, cert_id: int, reason: str) -> Certificate:
    reason = _reason(reason)
    cert = get_certificate(cert_id, lock=True)
    _mark_rejected(actor, cert, reason)
    _tell_producer(cert.product.producer, lambda: (
        _("[OCOP Quang Ninh] Certificate %(number)s: rejected", number=cert.certificate_no),
        _("The OCOP certificate %(number)s of %(product)s was not verified. Reason: %(reason)s",
          number=cert.certificate_no, product=cert.product.name, reason=reason)))
    db.session.commit()
    return cert


def set_certification(actor, product_id: int, *, verified: bool, stars=None, certificate_no=None,
                      issued_on=None, expires_on=None, level=None, reason: str | None = None) -> Certificate:
    """The admin's decision on a product's certification (API): record the terms and verify, or reject.

    Terms not given keep the claim's values. A product without a claim gets a certificate
    when verified; rejecting needs an existing claim.
    """
    product = db.session.scalar(sa.select(Product).where(Product.id == product_id).with_for_update(of=Product))
    if product is None:
        raise NotFound(_("Product not found"))
    cert = product.certificate
    if not verified:
        if cert is None:
            raise NotFound(_("The product has no certificate claim"))
        _mark_rejected(actor, cert, _reason(reason))
        db.session.commit()
        return cert
    if level is not None and level not in ("province", "national"):
        raise ValidationFailed(_("Invalid level"),
                               fields={"level": ["province | national"]})
    current = certificate_snapshot(cert) if cert is not None else {}
    stars = stars if stars is not None else current.get("stars")
    certificate_no = certificate_no.strip() if certificate_no is not None else current.get("certificate_no")
    if expires_on is None:  # a new issue date without an expiry: the standard 36 months
        expires_on = (Certificate.default_expiry(issued_on) if isinstance(issued_on, date)
                      else current.get("expires_on"))
    issued_on = issued_on or current.get("issued_on")
    _check_terms(stars, certificate_no, issued_on, expires_on)
    if cert is None:
        cert = Certificate(product_id=product.id, verified=False)
        db.session.add(cert)
    cert.stars, cert.certificate_no, cert.issued_on, cert.expires_on = stars, certificate_no, issued_on, expires_on
    cert.level = level or current.get("level") or ("national" if stars == 5 else "province")
    before = current
    db.session.flush()
    _mark_verified(actor, cert, before, reason or "")
    db.session.commit()
    return cert


def expire_certificates(today: date | None = None) -> list[Certificate]:
    """Record and notify, once, every verified certificate past its expiry date.

    Safe to run from cron as often as wanted, even twice at the same time: a
    certificate is claimed by one conditional UPDATE, and only the run that wins it
    records and notifies. (Public stars already disappear through Certificate.is_live.)
    """
    today = today or local_today()
    candidates = db.session.scalars(
        _certificates_query().where(Certificate.verified.is_(True), Certificate.expires_on < today,
                                    Certificate.expiry_notified_at.is_(None)).order_by(Certificate.id)).all()
    claimed: list[Certificate] = []
    now = utcnow()
    for cert in candidates:
        result = db.session.execute(
            sa.update(Certificate).where(Certificate.id == cert.id, Certificate.expiry_notified_at.is_(None))
            .values(expiry_notified_at=now).execution_options(synchronize_session=False))
        if result.rowcount == 1:
            cert.expiry_notified_at = now
            record(None, "certificate.expire", "certificate", cert.id, certificate_snapshot(cert),
                   {**certificate_snapshot(cert), "expired": True},
                   note=f"expired on {cert.expires_on.isoformat()}")
            claimed.append(cert)
    by_producer: dict[int, list[Certificate]] = {}
    for cert in claimed:
        by_producer.setdefault(cert.product.producer_id, []).append(cert)
    for certs in by_producer.values():
        producer = certs[0].product.producer
        listing = "\n".join(f"- {c.product.name}: {c.certificate_no} ({c.stars}★), {c.expires_on:%d/%m/%Y}"
                            for c in certs)
        _tell_producer(producer, lambda listing=listing: (
            _("[OCOP Quang Ninh] OCOP certificate expired"),
            _("These OCOP certificates have expired; the products show no stars until a new certificate is "
              "verified:") + "\n" + listing))
    db.session.commit()  # the certificates and the producers' messages together
    return claimed


def star_dashboard(today: date | None = None) -> dict:
    """Live 3★/4★/5★ certificates (listings not archived) by OCOP group and by region/locality."""
    today = today or local_today()
    group = sa.orm.aliased(Category)
    base = (sa.select().select_from(Certificate).join(Product, Product.id == Certificate.product_id)
            .where(Certificate.live_clause(today), Product.status != "archived"))

    def table(key_cols, joins) -> list[dict]:
        query = base.add_columns(*key_cols, Certificate.stars, sa.func.count(Certificate.id))
        for target, on in joins:
            query = query.join(target, on)
        rows: dict[tuple, dict] = {}
        for *key, stars, count in db.session.execute(query.group_by(*key_cols, Certificate.stars)):
            entry = rows.setdefault(tuple(key), {"key": key, 3: 0, 4: 0, 5: 0, "total": 0})
            entry[stars] += count
            entry["total"] += count
        return sorted(rows.values(), key=lambda r: (-r["total"], str(r["key"])))

    by_group = table([group.slug, group.name_vi, group.name_en],
                     [(Category, Category.id == Product.category_id),
                      (group, group.id == sa.func.coalesce(Category.parent_id, Category.id))])
    by_locality = table([Locality.region, Locality.name],
                        [(Producer, Producer.id == Product.producer_id),
                         (Locality, Locality.id == Producer.locality_id)])
    totals = {s: sum(r[s] for r in by_group) for s in range(OCOP_MIN_STARS, 6)}
    return {"by_group": by_group, "by_locality": by_locality, "totals": totals, "today": today}


# --- audit log -----------------------------------------------------------------------------------

def audit_entries(action: str | None = None, object_type: str | None = None, object_id: str | None = None,
                  actor: str | None = None, date_from: date | None = None, date_to: date | None = None,
                  page: int = 1, per_page: int = 50) -> Page:
    """The audit log, newest first, filtered (two queries; the actor is joined)."""
    conditions = []
    if action:
        conditions.append(AuditEntry.action.like(f"{action}%"))
    if object_type:
        conditions.append(AuditEntry.object_type == object_type)
    if object_id:
        conditions.append(AuditEntry.object_id == str(object_id))
    if actor:
        if actor == "system":
            conditions.append(AuditEntry.actor_id.is_(None))
        else:
            conditions.append(AuditEntry.actor_id.in_(sa.select(User.id).where(User.email.ilike(f"%{actor}%"))))
    if date_from:
        conditions.append(AuditEntry.created_at >= local_start_utc(date_from))
    if date_to:
        conditions.append(AuditEntry.created_at < local_start_utc(date_to + timedelta(days=1)))
    query = sa.select(AuditEntry).where(*conditions).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    return _paginate(query, page, per_page, sa.select(sa.func.count(AuditEntry.id)).where(*conditions))


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
