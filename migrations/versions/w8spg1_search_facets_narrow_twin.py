"""search: `search_facets`, the narrow twin of each search document (match, count, sort)

Revision ID: w8spg1
Revises: w7s1
Create Date: 2026-12-06 03:30:00

Counting the facets of a large result set read every matching `search_documents` row,
and those rows are wide (texts, a weighted tsvector with positions): most of the table's
pages. `search_facets` keeps, per document, only the words (a stripped tsvector, GIN),
the filter and sort values and one number per (category, group, locality), so the same
count reads a fraction of the pages and groups by two numbers. On PostgreSQL the rows
are filled from the existing documents; SQLite only gets the table (one schema).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'w8spg1'
down_revision = 'w7s1'
branch_labels = None
depends_on = None

FILTERS = ("locality", "region", "category", "category_group")
COPIED = ("stars", "cert_until", "producer_id", "price", "stock", "sold", "created", "category", "category_group",
          "locality", "region")


def upgrade():
    op.create_table(
        'search_facets',
        sa.Column('product_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('facet', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('stars', sa.SmallInteger(), server_default='0', nullable=False),
        sa.Column('cert_until', sa.Integer(), server_default='0', nullable=False),
        sa.Column('producer_id', sa.Integer(), server_default='0', nullable=False),
        sa.Column('price', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('stock', sa.Integer(), server_default='0', nullable=False),
        sa.Column('sold', sa.Integer(), server_default='0', nullable=False),
        sa.Column('created', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('category', sa.String(length=80), server_default='', nullable=False),
        sa.Column('category_group', sa.String(length=80), server_default='', nullable=False),
        sa.Column('locality', sa.String(length=80), server_default='', nullable=False),
        sa.Column('region', sa.String(length=80), server_default='', nullable=False),
        sa.Column('terms', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=False),
        sa.ForeignKeyConstraint(['product_id'], ['search_documents.product_id'],
                                name=op.f('fk_search_facets_product_id_search_documents'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('product_id', name=op.f('pk_search_facets')),
        postgresql_with={"fillfactor": "85"},
    )
    with op.batch_alter_table('search_facets', schema=None) as batch_op:
        batch_op.create_index('ix_search_facets_terms', ['terms'], unique=False, postgresql_using='gin',
                              postgresql_with={"fastupdate": "off"})
        for column in FILTERS:
            batch_op.create_index(f'ix_search_facets_{column}', [column], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        columns = ", ".join(COPIED)
        # The facet number: the same expression as marketplace/search/postgres_backend.py writes.
        op.execute(f"INSERT INTO search_facets (product_id, facet, terms, {columns}) "
                   f"SELECT product_id, hashtextextended(category || ' ' || category_group || ' ' || locality, 0), "
                   f"strip(tsv), {columns} FROM search_documents")


def downgrade():
    with op.batch_alter_table('search_facets', schema=None) as batch_op:
        for column in reversed(FILTERS):
            batch_op.drop_index(f'ix_search_facets_{column}')
        batch_op.drop_index('ix_search_facets_terms', postgresql_using='gin')
    op.drop_table('search_facets')
