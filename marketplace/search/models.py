"""Tables of the PostgreSQL search backend.

They exist on every database so the schema is the same everywhere (SQLite simply never
fills them); on PostgreSQL `tsv` is a real `tsvector` with a GIN index and the folded
name and the vocabulary carry pg_trgm GIN indexes (prefix completion, typo candidates).
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
    __table_args__ = (
        sa.Index("ix_search_documents_tsv", "tsv", postgresql_using="gin"),
        sa.Index("ix_search_documents_name_trgm", "name", postgresql_using="gin",
                 postgresql_ops={"name": "gin_trgm_ops"}),
    )

    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)         # folded
    name_acc: Mapped[str] = mapped_column(sa.Text, nullable=False)     # accented, lower case
    description: Mapped[str] = mapped_column(sa.Text, nullable=False)  # folded
    meta: Mapped[str] = mapped_column(sa.Text, nullable=False)         # folded producer, place, category
    tsv = mapped_column(TSVector(), nullable=False)


class SearchTerm(db.Model):
    """Every folded word of the indexed text: the vocabulary typo correction draws on."""

    __tablename__ = "search_terms"
    __table_args__ = (
        sa.Index("ix_search_terms_term_trgm", "term", postgresql_using="gin",
                 postgresql_ops={"term": "gin_trgm_ops"}),
    )

    term: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
