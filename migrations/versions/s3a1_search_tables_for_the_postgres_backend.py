"""search tables for the postgres backend (pg_trgm, tsvector)

Revision ID: s3a1
Revises: 0004orders
Create Date: 2026-11-23 08:55:00.549716

The tables exist on every database; only PostgreSQL gets the pg_trgm extension, the
tsvector type and GIN indexes (SQLite gets plain indexes and never fills the tables).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 's3a1'
down_revision = '0004orders'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    op.create_table('search_terms',
    sa.Column('term', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('term', name=op.f('pk_search_terms'))
    )
    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.create_index('ix_search_terms_term_trgm', ['term'], unique=False, postgresql_using='gin', postgresql_ops={'term': 'gin_trgm_ops'})

    op.create_table('search_documents',
    sa.Column('product_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_acc', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('meta', sa.Text(), nullable=False),
    sa.Column('tsv', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_search_documents_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', name=op.f('pk_search_documents'))
    )
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index('ix_search_documents_name_trgm', ['name'], unique=False, postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
        batch_op.create_index('ix_search_documents_tsv', ['tsv'], unique=False, postgresql_using='gin')


def downgrade():
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_search_documents_tsv')
        batch_op.drop_index('ix_search_documents_name_trgm')
    op.drop_table('search_documents')
    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_search_terms_term_trgm')
    op.drop_table('search_terms')
    # pg_trgm stays: other objects may use it.
