"""What the search backends index: one flat document per public product, read from the DB.

Both backends build their entries from `ProductDoc`, and both re-read the database when
they apply a change, so applying the same change twice, or late, is always safe.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from ..catalog.models import Category, Certificate, Locality, Producer, Product
from .text import nfc


@dataclass
class ProductDoc:
    id: int
    slug: str
    name: str
    description: str
    producer_id: int
    producer_name: str
    locality: str          # slug of the commune/ward
    region: str            # slug of the former district/city
    place: str             # "Ba Chẽ, Ba Chẽ" (locality and region names)
    category: str          # slug of the product's own category
    category_group: str    # slug of its top-level OCOP group, "" when that is the category itself
    category_names: str
    price: int
    stock: int
    sold: int
    created: int           # microseconds since the epoch, for "newest"
    stars: int             # certified stars ignoring expiry (0: none); live while cert_until >= today
    cert_until: int        # date.toordinal() of the certificate's expiry, 0 without stars

    @property
    def meta(self) -> str:
        """Producer, place and category names: searchable, ranked below name and description."""
        return " ".join((self.producer_name, self.place, self.category_names))


_Parent = aliased(Category)


def _select() -> sa.Select:
    # The star rule lives in Certificate.live_stars_expr; with date.min it ignores expiry,
    # which the backends check at query time (a certificate expires without any write).
    stars = Certificate.live_stars_expr(date.min)
    return (
        sa.select(Product.id, Product.slug, Product.name, Product.description, Product.price_vnd,
                  Product.stock, Product.sold_count, Product.created_at, Producer.id, Producer.name,
                  Locality.slug, Locality.name, Locality.region, Locality.region_slug,
                  Category.slug, Category.name_vi, _Parent.slug, _Parent.name_vi,
                  stars, Certificate.expires_on)
        .select_from(Product)
        .join(Producer, Producer.id == Product.producer_id)
        .join(Locality, Locality.id == Producer.locality_id)
        .join(Category, Category.id == Product.category_id)
        .outerjoin(_Parent, _Parent.id == Category.parent_id)
        .outerjoin(Certificate, Certificate.product_id == Product.id)
        .where(Product.public_clause())
    )


def _doc(row) -> ProductDoc:
    (pid, slug, name, description, price, stock, sold, created_at, producer_id, producer_name,
     loc_slug, loc_name, region, region_slug, cat_slug, cat_name, parent_slug, parent_name,
     stars, expires_on) = row
    place = loc_name if loc_name == region else f"{loc_name}, {region}"
    return ProductDoc(
        id=pid, slug=slug, name=nfc(name), description=nfc(description), producer_id=producer_id,
        producer_name=nfc(producer_name), locality=loc_slug, region=region_slug, place=nfc(place),
        category=cat_slug, category_group=parent_slug or "",
        category_names=nfc(" ".join(n for n in (cat_name, parent_name) if n)),
        price=int(price), stock=int(stock), sold=int(sold or 0), created=_micros(created_at),
        stars=int(stars or 0), cert_until=expires_on.toordinal() if stars and expires_on else 0,
    )


def _micros(value: datetime | None) -> int:
    return int(value.timestamp() * 1_000_000) if value else 0


def load_documents(session: Session, product_ids: Iterable[int]) -> dict[int, ProductDoc]:
    """Documents of those products that are public now (missing ids: remove from the index)."""
    ids = sorted({int(i) for i in product_ids if i is not None})
    docs: dict[int, ProductDoc] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for row in session.execute(_select().where(Product.id.in_(chunk))):
            doc = _doc(row)
            docs[doc.id] = doc
    return docs


def iter_documents(session: Session, batch: int = 1000) -> Iterator[ProductDoc]:
    """Every public product, in id order, read in batches (for a full rebuild)."""
    last = 0
    while True:
        rows = session.execute(_select().where(Product.id > last).order_by(Product.id).limit(batch)).all()
        if not rows:
            return
        for row in rows:
            yield _doc(row)
        last = rows[-1][0]


def count_public(session: Session) -> int:
    return session.scalar(
        sa.select(sa.func.count(Product.id)).join(Producer, Producer.id == Product.producer_id)
        .where(Product.public_clause())) or 0


@dataclass
class Changes:
    """What a transaction touched that the index may have to follow."""

    products: set[int] = field(default_factory=set)
    producers: set[int] = field(default_factory=set)
    categories: set[int] = field(default_factory=set)
    localities: set[int] = field(default_factory=set)
    bulk_since: datetime | None = None  # an UPDATE statement on products/certificates/producers ran

    def __bool__(self) -> bool:
        return bool(self.products or self.producers or self.categories or self.localities or self.bulk_since)

    def resolve(self, session: Session) -> set[int]:
        """The product ids whose documents may have changed."""
        ids = set(self.products)
        if self.producers:
            ids.update(session.scalars(sa.select(Product.id).where(Product.producer_id.in_(self.producers))))
        if self.categories:
            ids.update(session.scalars(sa.select(Product.id).where(Product.category_id.in_(self.categories))))
        if self.localities:
            ids.update(session.scalars(
                sa.select(Product.id).join(Producer, Producer.id == Product.producer_id)
                .where(Producer.locality_id.in_(self.localities))))
        if self.bulk_since is not None:
            since = self.bulk_since
            ids.update(session.scalars(sa.select(Product.id).where(Product.updated_at >= since)))
            ids.update(session.scalars(sa.select(Certificate.product_id).where(Certificate.updated_at >= since)))
            ids.update(session.scalars(
                sa.select(Product.id).join(Producer, Producer.id == Product.producer_id)
                .where(Producer.updated_at >= since)))
        return ids
