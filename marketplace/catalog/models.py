from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, aliased, mapped_column, query_expression, relationship

from .. import stockview
from ..extensions import db
from ..models_base import TimestampMixin
from ..timeutil import UTCDateTime, add_months, local_today

PRODUCER_KINDS = ("enterprise", "cooperative", "cooperative_group", "household")
PRODUCT_STATUSES = ("draft", "active", "archived")
CERTIFICATE_LEVELS = ("province", "national")
CERTIFICATE_VALIDITY_MONTHS = 36
OCOP_MIN_STARS = 3


class Locality(db.Model):
    """A commune, ward or special zone of Quảng Ninh (two-tier government since 1 July 2025).

    `region` keeps the former district/city (Hạ Long, Móng Cái, Vân Đồn, …) for reporting.
    """

    __tablename__ = "localities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)  # ward | commune | special_zone
    region: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    region_slug: Mapped[str] = mapped_column(sa.String(80), nullable=False, index=True)
    province: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="Quảng Ninh")


class Category(db.Model):
    """The six OCOP product groups of Decision 148/QĐ-TTg (2023) and their sub-groups."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    name_vi: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    name_en: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)

    parent = relationship("Category", remote_side=[id], back_populates="children")
    children = relationship("Category", back_populates="parent", order_by="Category.position")

    def name(self, locale: str = "vi") -> str:
        return self.name_en if locale == "en" else self.name_vi

    @property
    def group(self) -> "Category":
        """The top-level OCOP group this category belongs to."""
        return self.parent or self


class Producer(TimestampMixin, db.Model):
    __tablename__ = "producers"
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('enterprise', 'cooperative', 'cooperative_group', 'household')", name="kind"
        ),
        # Several applicants may claim one tax code (a squatter must not block the real
        # holder, nor learn that the code is taken); only one of them may sell at a time.
        sa.Index("uq_producers_selling_tax_code", "tax_code", unique=True,
                 sqlite_where=sa.text("approved AND suspended_at IS NULL"),
                 postgresql_where=sa.text("approved AND suspended_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(160), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    tax_code: Mapped[str | None] = mapped_column(sa.String(14), index=True)
    locality_id: Mapped[int] = mapped_column(sa.ForeignKey("localities.id"), nullable=False, index=True)
    address: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    approved: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspension_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Each producer ships its own parcels: a flat fee, free above a threshold (None: defaults).
    shipping_fee_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    free_shipping_threshold_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Illustrative data from the seed (seeds/SOURCES.md), not a producer of the public record.
    sample: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False, server_default=sa.false())

    locality = relationship(Locality, lazy="joined")
    products = relationship("Product", back_populates="producer", lazy="raise_on_sql")
    # Not a column: filled by queries that ask for it (catalog.listing.public_producers).
    product_count: Mapped[int | None] = query_expression()

    @property
    def can_sell(self) -> bool:
        return self.approved and self.suspended_at is None

    @classmethod
    def selling_clause(cls):
        """SQL condition: the producer's listings may be shown in the shop."""
        return sa.and_(cls.approved.is_(True), cls.suspended_at.is_(None))


class Product(TimestampMixin, db.Model):
    __tablename__ = "products"
    __table_args__ = (
        sa.CheckConstraint("price_vnd >= 0", name="price_nonnegative"),
        sa.CheckConstraint("stock >= 0", name="stock_nonnegative"),
        sa.CheckConstraint("status IN ('draft', 'active', 'archived')", name="status"),
        sa.Index("ix_products_status_created", "status", "created_at"),
        # The listing's sorts walk these in order and stop after a page (bench/run.py).
        sa.Index("ix_products_sold_count_id", "sold_count", "id"),
        sa.Index("ix_products_price_id", "price_vnd", "id"),
        sa.Index("ix_products_created_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(200), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    unit: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    price_vnd: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    stock: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="draft")
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"), nullable=False, index=True)
    producer_id: Mapped[int] = mapped_column(sa.ForeignKey("producers.id"), nullable=False, index=True)
    # Units sold on paid orders (kept by the orders domain) for the "bestselling" sort.
    sold_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    # Illustrative seed data, marked wherever it is shown; else `source` cites the public record.
    sample: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False, server_default=sa.false(),
                                         index=True)
    source: Mapped[str | None] = mapped_column(sa.String(500))
    # GS1 trade item number in its GTIN-14 form (traceability.gtin), for the lots' Digital Links.
    gtin: Mapped[str | None] = mapped_column(sa.String(14), unique=True)

    category = relationship(Category, lazy="joined")
    producer = relationship(Producer, back_populates="products", lazy="joined")
    certificate = relationship("Certificate", back_populates="product", uselist=False, lazy="joined")
    images = relationship(
        "ProductImage", back_populates="product", order_by="ProductImage.position", lazy="selectin",
        cascade="all, delete-orphan",
    )

    @property
    def ocop_stars(self) -> int | None:
        """Public OCOP stars: only while the certificate is verified, unexpired and 3★+."""
        cert = self.certificate
        return cert.stars if cert is not None and cert.is_live() else None

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def is_public(self) -> bool:
        """Shown in the shop (a product without a live certificate is shown, not sold)."""
        return self.status == "active" and self.producer.can_sell

    @property
    def for_sale(self) -> bool:
        """Shown and OCOP-certified now: a product whose certificate is missing, waiting for
        verification or expired (36 months) is not sold, nor shown as an OCOP product."""
        return self.is_public and self.ocop_stars is not None

    @classmethod
    def public_clause(cls):
        """SQL condition: the product may be shown to shoppers (join Producer first)."""
        return sa.and_(cls.status == "active", Producer.selling_clause())

    @classmethod
    def for_sale_clause(cls, today: date | None = None):
        """SQL condition of `for_sale` (join Producer first)."""
        # Its own alias of certificates: a query may join that table for other reasons.
        cert = aliased(Certificate)
        live_certificate = (sa.exists().where(cert.product_id == cls.id, Certificate.live_clause(today, cert))
                            .correlate(cls))
        return sa.and_(cls.public_clause(), live_certificate)


# Cached catalogue answers carry the stock of the products they showed (stockview.py).
stockview.watch_model(Product)


class ProductImage(db.Model):
    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True)
    path: Mapped[str] = mapped_column(sa.String(255), nullable=False)  # key in the upload storage
    thumb_path: Mapped[str | None] = mapped_column(sa.String(255))
    width: Mapped[int | None] = mapped_column(sa.Integer)
    height: Mapped[int | None] = mapped_column(sa.Integer)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    alt: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")

    product = relationship(Product, back_populates="images")


class Certificate(TimestampMixin, db.Model):
    """The OCOP certification (or a producer's claim of one) of a product.

    One row per product; a new claim replaces the old one and waits for verification.
    """

    __tablename__ = "certificates"
    __table_args__ = (
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),
        sa.CheckConstraint("level IN ('province', 'national')", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    stars: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    certificate_no: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    level: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="province")
    issued_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    expires_on: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    verified: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    rejected_reason: Mapped[str | None] = mapped_column(sa.Text)
    scan_path: Mapped[str | None] = mapped_column(sa.String(255))
    expiry_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    product = relationship(Product, back_populates="certificate")

    @staticmethod
    def default_expiry(issued_on: date) -> date:
        return add_months(issued_on, CERTIFICATE_VALIDITY_MONTHS)

    # The one place the star rule lives, in Python and in SQL.
    def is_live(self, today: date | None = None) -> bool:
        today = today or local_today()
        return self.verified and self.stars >= OCOP_MIN_STARS and self.expires_on >= today

    @classmethod
    def live_clause(cls, today: date | None = None, table=None):
        today = today or local_today()
        cert = cls if table is None else table
        return sa.and_(cert.verified.is_(True), cert.stars >= OCOP_MIN_STARS, cert.expires_on >= today)

    @classmethod
    def live_stars_expr(cls, today: date | None = None):
        """SQL: the public stars of a product joined (outer) to its certificate, else NULL."""
        return sa.case((cls.live_clause(today), cls.stars), else_=None)

    @property
    def status(self) -> str:
        if self.rejected_reason:
            return "rejected"
        if not self.verified:
            return "pending"
        if self.expires_on < local_today():
            return "expired"
        return "verified"
