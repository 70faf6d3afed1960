"""search columns: name-only tsvector, filter/facet/sort values; no search_terms

Revision ID: srch1
Revises: acct1
Create Date: 2026-12-05 12:20:00

The PostgreSQL search backend answers a whole search from `search_documents` alone:
the name-only `name_tsv` (GIN) finds the products with every word in the name (ranked
first, often all a page needs), and the copied filter, facet and sort values spare the
joins. On PostgreSQL the rows written before this revision lack those values, so they
are removed: run `flask search reindex --if-missing` after upgrading (`make run` does)
to rebuild them. SQLite never fills the table; it only gets the same columns.
`search_terms` (the word vocabulary) goes: spelling correction now compares whole
phrases (names, producer/place/category) instead of single words.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'srch1'
down_revision = 'acct1'
branch_labels = None
depends_on = None

COLUMNS = (
    ('name_len', sa.SmallInteger(), "0"), ('producer_id', sa.Integer(), "0"), ('price', sa.BigInteger(), "0"),
    ('stock', sa.Integer(), "0"), ('sold', sa.Integer(), "0"), ('created', sa.BigInteger(), "0"),
    ('stars', sa.SmallInteger(), "0"), ('cert_until', sa.Integer(), "0"),
    ('category', sa.String(length=80), ""), ('category_group', sa.String(length=80), ""),
    ('locality', sa.String(length=80), ""), ('region', sa.String(length=80), ""),
)


def upgrade():
    on_postgres = op.get_bind().dialect.name == "postgresql"
    if on_postgres:
        op.execute("DELETE FROM search_documents")
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_tsv', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'),
                                      server_default='', nullable=False))
        for name, type_, default in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, server_default=default, nullable=False))
        batch_op.create_index('ix_search_documents_name_tsv', ['name_tsv'], unique=False, postgresql_using='gin')
    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_search_terms_term_trgm')
    op.drop_table('search_terms')


def downgrade():
    op.create_table('search_terms',
                    sa.Column('term', sa.String(length=64), nullable=False),
                    sa.PrimaryKeyConstraint('term', name=op.f('pk_search_terms')))
    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.create_index('ix_search_terms_term_trgm', ['term'], unique=False, postgresql_using='gin',
                              postgresql_ops={'term': 'gin_trgm_ops'})
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_search_documents_name_tsv')
        for name, _, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
        batch_op.drop_column('name_tsv')
