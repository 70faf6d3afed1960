"""Seller rules: joining, members, listings, photos and OCOP certificate claims.

No request objects here. Every function that reads or changes a producer's data
takes the producer id of the acting member and filters by it, so another
producer's object raises `NotFound` (HTTP 404) and nothing changes.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import audit
from ..accounts.languages import languages_of
from ..accounts.models import ApiToken, User
from ..accounts.services import create_user, find_user_by_email, issue_token, normalise_email
from ..catalog.models import (
    PRODUCER_KINDS, PRODUCT_STATUSES, Category, Certificate, Locality, Producer, Product,
    ProductImage,
)
from ..catalog.rules import clean_certificate_claim, clean_product_fields
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..links import public_base_url
from ..mail.language import current_language, send_in, send_to_each
from ..storage import PRIVATE_PREFIX, get_storage, new_key
from ..timeutil import local_today, utcnow
from ..uploads import check_document, process_image
from ..validators import clean_text, normalise_phone, slugify, validate_tax_code
from .stock import StaleStock, write_stock



# --------------------------------------------------------------------------- helpers

def _text(data: Mapping, name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value).strip()


def _free_text(data: Mapping, name: str, errors: dict, multiline: bool = False) -> str:
    """A name or free text through the one shared check (validators.clean_text)."""
    try:
        return clean_text(data.get(name), multiline=multiline)
    except ValueError as exc:
        errors[name] = [str(exc)]
        return ""


def unique_slug(model, text: str, max_length: int = 160) -> str:
    """`slugify(text)`, with -2, -3, … appended when taken."""
    base = slugify(text, max_length=max_length - 6)
    taken = set(db.session.scalars(sa.select(model.slug).where(
        sa.or_(model.slug == base, model.slug.like(base + "-%")))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def store_files(writes: list[tuple[str, bytes, str]]) -> list[str]:
    storage = get_storage()
    for key, data, content_type in writes:
        storage.save(key, data, content_type)
    return [key for key, _, _ in writes]


def delete_files(keys) -> None:
    storage = get_storage()
    for key in keys:
        if key:
            storage.delete(key)


# --------------------------------------------------------------------------- joining and members

def localities() -> list[Locality]:
    return list(db.session.scalars(sa.select(Locality).order_by(Locality.region, Locality.name)))


def categories() -> list[Category]:
    return list(db.session.scalars(sa.select(Category).order_by(Category.parent_id.is_not(None),
                                                                 Category.position, Category.name_vi)))


def register_producer(data: Mapping) -> tuple[Producer, User]:
    """A producer organisation and its first member (role seller). Not approved yet.

    `data`: name, kind, tax_code, locality_id, address, phone, email, description,
    and the member's full_name, member_email, password, member_phone.
    """
    errors: dict[str, list[str]] = {}
    name = _free_text(data, "name", errors)
    if "name" not in errors and not 3 <= len(name) <= 200:
        errors["name"] = [gettext("Organisation name needs 3 to 200 characters")]
    kind = _text(data, "kind")
    if kind not in PRODUCER_KINDS:
        errors["kind"] = [gettext("Choose the kind of organisation")]
    tax_code = None
    try:
        tax_code = validate_tax_code(_text(data, "tax_code"))
    except ValueError as exc:
        errors["tax_code"] = [str(exc)]
    # A tax code someone else already claimed is accepted like any other: refusing it would
    # tell a stranger the code is registered, and let a squatter block its real holder. The
    # admin sees the clash (admin.services.list_producers) and approves one of them.
    locality = None
    try:
        locality = db.session.get(Locality, int(data.get("locality_id") or 0))
    except (TypeError, ValueError):
        pass
    if locality is None:
        errors["locality_id"] = [gettext("Choose the commune or ward")]
    address = _free_text(data, "address", errors)
    if "address" not in errors and not 3 <= len(address) <= 255:
        errors["address"] = [gettext("Address is required")]
    phone = None
    try:
        phone = normalise_phone(_text(data, "phone"))
    except ValueError as exc:
        errors["phone"] = [str(exc)]
    org_email = None
    if _text(data, "email"):
        try:
            org_email = normalise_email(_text(data, "email"))
        except ValidationFailed:
            errors["email"] = [gettext("Invalid email")]
    description = _free_text(data, "description", errors, multiline=True)[:5000]
    if errors:
        # Also report the member's fields in the same answer.
        try:
            create_user(data.get("member_email"), data.get("password"), data.get("full_name"),
                        data.get("member_phone") or None, role="seller", producer_id=0, commit=False)
            db.session.rollback()
        except (ValidationFailed, Conflict) as exc:
            db.session.rollback()
            errors.update(_member_fields(exc.fields or {}))
        raise ValidationFailed(gettext("Invalid input"), fields=errors)

    producer = Producer(slug=unique_slug(Producer, name), name=name, kind=kind, tax_code=tax_code,
                        locality_id=locality.id, address=address, phone=phone, email=org_email,
                        description=description, approved=False)
    db.session.add(producer)
    try:
        db.session.flush()
        user = create_user(data.get("member_email"), data.get("password"), data.get("full_name"),
                           data.get("member_phone") or None, role="seller", producer_id=producer.id,
                           commit=False)
        db.session.flush()
    except (ValidationFailed, Conflict) as exc:
        db.session.rollback()
        exc.fields = _member_fields(exc.fields or {})
        raise
    audit.record(user, "producer.registered", "producer", producer.id,
                 after={"name": name, "tax_code": tax_code, "kind": kind})
    send_in(user.lang, user.email, lambda: (
        gettext("OCOP producer registration received"),
        gettext("Hello %(name)s,\n\nWe received the registration of %(producer)s. An administrator will review "
                "it; meanwhile you can prepare your listings.", name=user.full_name, producer=producer.name)))
    db.session.commit()
    return producer, user


def _member_fields(fields: dict) -> dict:
    """create_user names the member's fields email/phone: keep them apart from the organisation's."""
    renamed = {"email": "member_email", "phone": "member_phone", "producer_id": None}
    out = {}
    for key, value in fields.items():
        target = renamed.get(key, key)
        if target:
            out[target] = value
    return out


def members(producer_id: int) -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.producer_id == producer_id).order_by(User.id)))


def _invitations() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="seller-invitation")


def invite_member(producer_id: int, inviter: User, email: str) -> str:
    """Email an invitation link to join the producer; returns the token.

    The token is signed (SECRET_KEY) and expires after INVITATION_MAX_AGE_S; it can be
    used once, since accepting creates the account for exactly that email.
    """
    try:
        email = normalise_email(email)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, fields={"email": exc.fields["email"]}) from None
    if find_user_by_email(email) is not None:
        message = gettext("This email already has an account")
        raise Conflict(message, code="email_taken", fields={"email": [message]})
    producer = db.session.get(Producer, producer_id)
    token = _invitations().dumps({"p": producer_id, "e": email, "i": inviter.id})
    base = public_base_url()
    link = f"{base}/seller/invitations/{token}"
    days = current_app.config["INVITATION_MAX_AGE_S"] // 86400
    # Someone new reads the invitation in the language the inviter wrote it in.
    send_to_each(languages_of(email, default=current_language()), lambda: (
        gettext("Invitation to join %(producer)s", producer=producer.name),
        gettext("%(inviter)s invites you to manage %(producer)s on the OCOP Quang Ninh marketplace.\n"
                "Open this link to set your password (valid %(days)s days):\n%(link)s\n",
                inviter=inviter.full_name, producer=producer.name, days=days, link=link)))
    audit.record(inviter, "producer.member_invited", "producer", producer_id, after={"email": email})
    db.session.commit()
    return token


@dataclass(frozen=True)
class Invitation:
    producer: Producer
    email: str
    inviter_id: int


def read_invitation(token: str) -> Invitation:
    try:
        data = _invitations().loads(token, max_age=current_app.config["INVITATION_MAX_AGE_S"])
    except SignatureExpired:
        raise NotFound(gettext("This invitation has expired"), code="invitation_expired") from None
    except BadSignature:
        raise NotFound(gettext("Invalid invitation"), code="invitation_invalid") from None
    producer = db.session.get(Producer, data.get("p"))
    if producer is None:
        raise NotFound(gettext("Invalid invitation"), code="invitation_invalid")
    if find_user_by_email(data["e"]) is not None:
        raise Conflict(gettext("This invitation has already been used"), code="invitation_used")
    return Invitation(producer=producer, email=data["e"], inviter_id=data.get("i"))


def accept_invitation(token: str, full_name: str, password: str, phone: str | None = None) -> User:
    invitation = read_invitation(token)
    user = create_user(invitation.email, password, full_name, phone or None, role="seller",
                       producer_id=invitation.producer.id, commit=False)
    db.session.flush()
    audit.record(user, "producer.member_joined", "producer", invitation.producer.id, after={"email": user.email})
    db.session.commit()
    return user


# --------------------------------------------------------------------------- listings

def seller_products_query(producer_id: int, status: str | None = None, q: str | None = None) -> sa.Select:
    query = sa.select(Product).where(Product.producer_id == producer_id)
    if status in PRODUCT_STATUSES:
        query = query.where(Product.status == status)
    elif status != "all":
        query = query.where(Product.status != "archived")
    if q:
        query = query.where(Product.name.ilike(f"%{q.strip()}%"))
    return query


def list_products(producer_id: int, status: str | None = None, q: str | None = None,
                  page: int = 1, per_page: int = 20) -> tuple[list[Product], int]:
    """One page of the producer's listings, newest first (query count independent of page size)."""
    per_page = max(1, min(per_page, 100))
    query = seller_products_query(producer_id, status, q)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    items = list(db.session.scalars(query.order_by(Product.updated_at.desc(), Product.id.desc())
                                    .limit(per_page).offset((max(page, 1) - 1) * per_page)).unique())
    return items, total


def get_product(producer_id: int, product_id) -> Product:
    """The producer's own product, or NotFound (also for another producer's id)."""
    try:
        product_id = int(product_id)
    except (TypeError, ValueError):
        raise NotFound(gettext("Product not found")) from None
    product = db.session.scalar(sa.select(Product).where(Product.id == product_id,
                                                         Product.producer_id == producer_id))
    if product is None:
        raise NotFound(gettext("Product not found"))
    return product


def snapshot(product: Product) -> dict:
    return {"name": product.name, "price_vnd": product.price_vnd, "stock": product.stock,
            "status": product.status, "unit": product.unit, "category_id": product.category_id}


def create_product(producer_id: int, actor: User, data: Mapping) -> Product:
    cleaned, errors = clean_product_fields({"status": "draft", **data})
    if errors:
        raise ValidationFailed(gettext("Invalid input"), fields=errors)
    product = Product(slug=unique_slug(Product, cleaned["name"], 200), producer_id=producer_id, **cleaned)
    db.session.add(product)
    db.session.flush()
    audit.record(actor, "product.created", "product", product.id, after=snapshot(product))
    db.session.commit()
    return product


def _assign(product: Product, actor: User, cleaned: dict, action: str = "product.updated",
            stock_seen: int | None = None) -> None:
    """Set validated listing fields, auditing what changed (not committed). A new `stock` is
    written only if the stock still is `stock_seen`, the figure the seller saw (seller/stock.py)."""
    before = snapshot(product)
    for key, value in cleaned.items():
        if key == "stock":
            write_stock(product, value, stock_seen)
        else:
            setattr(product, key, value)
    if snapshot(product) != before:
        audit.record(actor, action, "product", product.id, before=before, after=snapshot(product))


def archive_product(product: Product, actor: User) -> Product:
    """Listings are never deleted (orders refer to them): they are archived, hidden from the shop."""
    if product.status != "archived":
        _assign(product, actor, {"status": "archived"}, "product.archived")
        db.session.commit()
    return product


# --------------------------------------------------------------------------- photos

def check_photos(already: int, files: list[tuple[str, bytes]]) -> list:
    """Photos (filename, content) checked and resized, none stored yet; ValidationFailed on the
    `images` field for the first bad one, or when they would pass MAX_IMAGES_PER_PRODUCT."""
    limit = current_app.config["MAX_IMAGES_PER_PRODUCT"]
    if already + len(files) > limit:
        message = gettext("At most %(limit)s photos per product (%(already)s already)", limit=limit,
                          already=already)
        raise ValidationFailed(message, code="too_many_images", fields={"images": [message]})
    processed = []
    for name, data in files:
        try:
            processed.append(process_image(data, "images"))
        except ValidationFailed as exc:
            label = (name or "?")[:80]
            message = f"{label}: {exc.message}"
            raise ValidationFailed(message, code=exc.code, fields={"images": [message]}) from None
    return processed


def attach_photos(product: Product, processed: list) -> tuple[list[ProductImage], list[tuple[str, bytes, str]]]:
    """Rows for checked photos after the product's others (not committed), and the files to store."""
    position = max((img.position for img in product.images), default=-1) + 1
    writes, created = [], []
    for offset, item in enumerate(processed):
        key = new_key(f"products/{product.id}", item.extension)
        thumb_key = new_key(f"products/{product.id}", item.extension)
        writes += [(key, item.web, item.content_type), (thumb_key, item.thumb, item.content_type)]
        image = ProductImage(product_id=product.id, path=key, thumb_path=thumb_key, width=item.width,
                             height=item.height, position=position + offset, alt=product.name[:200])
        product.images.append(image)
        created.append(image)
    return created, writes


def add_images(product: Product, actor: User, files: list[tuple[str, bytes]]) -> list[ProductImage]:
    """Add photos (filename, content). All are checked before any is stored: one bad file adds none."""
    files = [(name, data) for name, data in files if data or name]
    if not files:
        raise ValidationFailed(gettext("No photo chosen"), fields={"images": [gettext("No photo chosen")]})
    processed = check_photos(len(product.images), files)
    created, writes = attach_photos(product, processed)
    # Files first, then the rows: a failed commit leaves only unreferenced files, removed here.
    store_files(writes)
    try:
        audit.record(actor, "product.images_added", "product", product.id, after={"count": len(created)})
        db.session.commit()
    except Exception:
        db.session.rollback()
        delete_files(key for key, _, _ in writes)
        raise
    return created


def _get_image(product: Product, image_id) -> ProductImage:
    for image in product.images:
        if str(image.id) == str(image_id):
            return image
    raise NotFound(gettext("Photo not found"))


def remove_image(product: Product, actor: User, image_id) -> None:
    image = _get_image(product, image_id)
    keys = [image.path, image.thumb_path]
    product.images.remove(image)
    for position, other in enumerate(product.images):
        other.position = position
    audit.record(actor, "product.image_removed", "product", product.id, before={"image": image_id})
    db.session.commit()
    delete_files(keys)


def reorder_images(product: Product, actor: User, image_ids: list) -> list[ProductImage]:
    """`image_ids`: every photo of the product, in the wanted order (the first is the cover)."""
    try:
        wanted = [int(i) for i in image_ids]
    except (TypeError, ValueError):
        wanted = []
    current = {image.id: image for image in product.images}
    if sorted(wanted) != sorted(current):
        message = gettext("The photo list does not match the product's photos")
        raise ValidationFailed(message, fields={"image_ids": [message]})
    for position, image_id in enumerate(wanted):
        current[image_id].position = position
    db.session.commit()
    db.session.refresh(product, ["images"])
    return list(product.images)


def move_image(product: Product, actor: User, image_id, offset: int) -> list[ProductImage]:
    """Move one photo earlier (-1) or later (+1): the portal's arrows, without JavaScript."""
    ids = [image.id for image in product.images]
    image = _get_image(product, image_id)
    index = ids.index(image.id)
    target = max(0, min(len(ids) - 1, index + offset))
    ids.insert(target, ids.pop(index))
    return reorder_images(product, actor, ids)


# --------------------------------------------------------------------------- OCOP certificate claims

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


def patch_product(product: Product, actor: User, data: Mapping, stock_seen: int | None = None,
                  stale: bool = False) -> Product:
    """The API's PATCH: listing fields, `image_order`, `remove_image_ids` and `certification`,
    all validated first and written in one transaction (or not at all). A new `stock` needs
    `stock_seen`, the figure it replaces (StaleStock when the stock has moved since); `stale`
    (the client's validator is out of date) refuses valid input with StaleStock too."""
    data = dict(data)
    order = data.pop("image_order", None)
    remove = data.pop("remove_image_ids", None)
    claim_data = data.pop("certification", None)
    cleaned, errors = clean_product_fields(data, partial=True)
    image_ids = {image.id for image in product.images}
    removed: set[int] = set()
    wanted: list[int] | None = None
    if remove is not None:
        try:
            removed = {int(i) for i in remove}
        except (TypeError, ValueError):
            removed = {-1}
        if not removed <= image_ids:
            errors["remove_image_ids"] = [gettext("Photo not found on this product")]
    if order is not None:
        try:
            wanted = [int(i) for i in order]
        except (TypeError, ValueError):
            wanted = []
        if sorted(wanted) != sorted(image_ids - removed):
            errors["image_order"] = [gettext("The photo list does not match the product's photos")]
    claim = None
    if claim_data is not None:
        if not isinstance(claim_data, Mapping):
            errors["certification"] = [gettext("Must be an object")]
        else:
            claim, claim_errors = clean_certificate_claim(claim_data)
            errors.update({f"certification.{k}": v for k, v in claim_errors.items()})
    if errors:
        raise ValidationFailed(gettext("Invalid input"), fields=errors)
    if stale:
        raise StaleStock(product.stock)

    _assign(product, actor, cleaned, stock_seen=stock_seen)
    deleted_keys = []
    for image in [img for img in product.images if img.id in removed]:
        deleted_keys += [image.path, image.thumb_path]
        product.images.remove(image)
    positions = {image_id: n for n, image_id in enumerate(wanted)} if wanted is not None else None
    for n, image in enumerate(sorted(product.images, key=lambda img: (
            positions[img.id] if positions is not None else img.position))):
        image.position = n
    if claim is not None:
        apply_certificate_claim(product, actor, claim)
    db.session.commit()
    delete_files(deleted_keys)
    db.session.refresh(product, ["images"])
    return product


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


def product_counts(producer_id: int) -> dict[str, int]:
    rows = db.session.execute(sa.select(Product.status, sa.func.count()).where(Product.producer_id == producer_id)
                              .group_by(Product.status)).all()
    counts = {status: 0 for status in PRODUCT_STATUSES}
    counts.update({status: n for status, n in rows})
    return counts


# --------------------------------------------------------------------------- API tokens

def api_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def create_api_token(user: User, name: str) -> str:
    """A Bearer token for the cooperative's own software, acting as this member. Shown once."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        message = gettext("Name the token, e.g. “stock software”")
        raise ValidationFailed(message, fields={"name": [message]})
    token = issue_token(user, name)
    audit.record(user, "api_token.created", "user", user.id, after={"name": name, "prefix": token[:12]})
    db.session.commit()
    return token


def revoke_api_token(user: User, token_id) -> ApiToken:
    """Revoke one of the member's own tokens (another user's token is not found)."""
    try:
        token_id = int(token_id)
    except (TypeError, ValueError):
        token_id = 0
    record = db.session.scalar(sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if record is None:
        raise NotFound(gettext("Token not found"))
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        audit.record(user, "api_token.revoked", "user", user.id, after={"name": record.name, "prefix": record.prefix})
        db.session.commit()
    return record
