"""search: B-trees on the documents' (name length, product id) and on both tables' producer

Revision ID: w10s1
Revises: w9inv1
Create Date: 2026-12-07 03:00:00

Among the products with a one-word query in the name, those scoring the most come first,
shorter names before longer. The index gives the name tier in that order, so a first page
is read from its shortest names instead of ranking every product named with the word
(`postgres_ranking.name_page`). A search within one producer's products (`producer=`) ANDs
that producer's rows with the words' bitmap instead of reading every match of a common word
to test it. Every database gets them: one schema.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'w10s1'
down_revision = 'w9inv1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index('ix_search_documents_name_len', ['name_len', 'product_id'], unique=False)
        batch_op.create_index('ix_search_documents_producer_id', ['producer_id'], unique=False)
    with op.batch_alter_table('search_facets', schema=None) as batch_op:
        batch_op.create_index('ix_search_facets_producer_id', ['producer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('search_facets', schema=None) as batch_op:
        batch_op.drop_index('ix_search_facets_producer_id')
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_search_documents_producer_id')
        batch_op.drop_index('ix_search_documents_name_len')
