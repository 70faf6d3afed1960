"""A producer's listings: finding them, creating one, writing its fields, archiving it.

No request objects here. Every function that reads a producer's listings takes the producer
id of the acting member and filters by it, so another producer's product raises `NotFound`
(HTTP 404) and nothing changes. Field writes go through `assign_fields`, which audits what
changed and writes a new stock only against the figure the seller saw (seller/stock.py).
Photos (seller/photos.py) and certificate scans (seller/certificates.py) are a listing's
files in storage: written before their rows, removed after the commit that drops them.
"""
from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from flask_babel import gettext

from .. import audit
from ..accounts.models import User
from ..catalog.models import PRODUCT_STATUSES, Category, Product
from ..catalog.rules import clean_product_fields
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..storage import get_storage
from ..validators import slugify
from .stock import write_stock


def unique_slug(model, text: str, max_length: int = 160) -> str:
    """`slugify(text)`, with -2, -3, … appended when taken (a listing's or a producer's)."""
    base = slugify(text, max_length=max_length - 6)
    taken = set(db.session.scalars(sa.select(model.slug).where(
        sa.or_(model.slug == base, model.slug.like(base + "-%")))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _store_files(writes: list[tuple[str, bytes, str]]) -> list[str]:
    storage = get_storage()
    for key, data, content_type in writes:
        storage.save(key, data, content_type)
    return [key for key, _, _ in writes]


def delete_files(keys) -> None:
    storage = get_storage()
    for key in keys:
        if key:
            storage.delete(key)


def commit_with_files(writes: list[tuple[str, bytes, str]]) -> None:
    """Store the files, then commit the rows that refer to them.

    Files first, then the rows: a failed commit leaves only unreferenced files, removed here.
    """
    _store_files(writes)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        delete_files(key for key, _, _ in writes)
        raise


def categories() -> list[Category]:
    return list(db.session.scalars(sa.select(Category).order_by(Category.parent_id.is_not(None),
                                                                 Category.position, Category.name_vi)))


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
    product = add_product(producer_id, actor, cleaned)
    db.session.commit()
    return product


def add_product(producer_id: int, actor: User, cleaned: dict) -> Product:
    """A new listing from validated fields, flushed (it has its id) and audited, not committed."""
    product = Product(slug=unique_slug(Product, cleaned["name"], 200), producer_id=producer_id, **cleaned)
    db.session.add(product)
    db.session.flush()
    audit.record(actor, "product.created", "product", product.id, after=snapshot(product))
    return product


def assign_fields(product: Product, actor: User, cleaned: dict, action: str = "product.updated",
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
        assign_fields(product, actor, {"status": "archived"}, "product.archived")
        db.session.commit()
    return product


def product_counts(producer_id: int) -> dict[str, int]:
    rows = db.session.execute(sa.select(Product.status, sa.func.count()).where(Product.producer_id == producer_id)
                              .group_by(Product.status)).all()
    counts = {status: 0 for status in PRODUCT_STATUSES}
    counts.update({status: n for status, n in rows})
    return counts
