"""Tables of the PostgreSQL search backend.

They exist on every database so the schema is the same everywhere (SQLite simply never
fills them); on PostgreSQL `tsv` (every field, weighted) and `name_tsv` (the name alone)
are real `tsvector`s with GIN indexes, and the folded name carries a pg_trgm GIN index
(prefix completion). The filter, facet
and sort values are copied next to the text (kept by the same sync path).

`search_facets` is the narrow twin of each row: the words without positions or weights
(a stripped `tsvector`, GIN), the filter and sort values and one `facet` key per
(category, group, locality). Matching, counting and sorted pages read it: a result set's
rows are a fraction of the wide rows' pages, and the counts group by two numbers.
Relevance ranking reads the wide rows (weights, phrases), only for the candidates of a page.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class TSVector(sa.types.TypeDecorator):
    """`tsvector` on PostgreSQL, plain text elsewhere (never written there)."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TSVECTOR())
        return dialect.type_descriptor(sa.Text())


class SearchDocument(db.Model):
    """One public product as the PostgreSQL backend searches it.

    Text columns hold words joined by single spaces and padded with a space at both ends
    (' mat ong rung '), so a phrase or a whole word is a plain substring test.
    """

    __tablename__ = "search_documents"
    # fastupdate off: no pending list for every search to scan (migration w7s1).
    __table_args__ = (
        sa.Index("ix_search_documents_tsv", "tsv", postgresql_using="gin", postgresql_with={"fastupdate": "off"}),
        sa.Index("ix_search_documents_name_trgm", "name", postgresql_using="gin",
                 postgresql_ops={"name": "gin_trgm_ops"}, postgresql_with={"fastupdate": "off"}),
        sa.Index("ix_search_documents_name_tsv", "name_tsv", postgresql_using="gin",
                 postgresql_with={"fastupdate": "off"}),
        # The place and category filters: ANDed with the text match's bitmap before any row is read.
        sa.Index("ix_search_documents_locality", "locality"),
        sa.Index("ix_search_documents_region", "region"),
        sa.Index("ix_search_documents_category", "category"),
        sa.Index("ix_search_documents_category_group", "category_group"),
        sa.Index("ix_search_documents_producer_id", "producer_id"),
        # The name tier shortest name first: a one-word query's first page (postgres_ranking.name_page).
        sa.Index("ix_search_documents_name_len", "name_len", "product_id"),
    )

    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)         # folded
    name_acc: Mapped[str] = mapped_column(sa.Text, nullable=False)     # accented, lower case
    description: Mapped[str] = mapped_column(sa.Text, nullable=False)  # folded
    meta: Mapped[str] = mapped_column(sa.Text, nullable=False)         # folded producer, place, category
    tsv = mapped_column(TSVector(), nullable=False)
    name_tsv = mapped_column(TSVector(), nullable=False, server_default="")
    name_len: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False, server_default="0")
    producer_id: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    price: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")
    stock: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    sold: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    created: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")  # µs since epoch
    stars: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False, server_default="0")  # ignoring expiry
    cert_until: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")  # date ordinal
    category: Mapped[str] = mapped_column(sa.String(80), nullable=False, server_default="")
    category_group: Mapped[str] = mapped_column(sa.String(80), nullable=False, server_default="")
    locality: Mapped[str] = mapped_column(sa.String(80), nullable=False, server_default="")
    region: Mapped[str] = mapped_column(sa.String(80), nullable=False, server_default="")


class SearchFacet(db.Model):
    """The words, filter, facet and sort values of one `search_documents` row (same sync path)."""

    __tablename__ = "search_facets"
    # fillfactor: a sale rewrites the row's stock; room on its page keeps that a HOT update (no index writes).
    __table_args__ = (
        sa.Index("ix_search_facets_terms", "terms", postgresql_using="gin", postgresql_with={"fastupdate": "off"}),
        sa.Index("ix_search_facets_locality", "locality"),
        sa.Index("ix_search_facets_region", "region"),
        sa.Index("ix_search_facets_category", "category"),
        sa.Index("ix_search_facets_category_group", "category_group"),
        sa.Index("ix_search_facets_producer_id", "producer_id"),
        {"postgresql_with": {"fillfactor": "85"}},
    )

    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("search_documents.product_id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    # (category, category_group, locality) as one number: hashtextextended of the three, see postgres_backend.
    facet: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")
    stars: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False, server_default="0")
    cert_until: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    producer_id: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    price: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")
    stock: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    sold: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    created: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")
    category: Mapped[str] = mapped_column(sa.String(80), nullable=False, server_default="")
    category_group: Mapped[str] = mapped_column(sa.String(80), nullable=False, server_default="")
    locality: Mapped[str] = mapped_column(sa.String(80), nullable=False, server_default="")
    region: Mapped[str] = mapped_column(sa.String(80), nullable=False, server_default="")
    terms = mapped_column(TSVector(), nullable=False)  # strip(tsv): every word, no positions
