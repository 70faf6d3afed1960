"""listing sort indexes: bestselling, price and newest pages read in index order

Revision ID: perf2
Revises: perf1
Create Date: 2026-11-23 10:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'perf2'
down_revision = 'perf1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_sold_count_id', ['sold_count', 'id'], unique=False)
        batch_op.create_index('ix_products_price_id', ['price_vnd', 'id'], unique=False)
        batch_op.create_index('ix_products_created_id', ['created_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_created_id')
        batch_op.drop_index('ix_products_price_id')
        batch_op.drop_index('ix_products_sold_count_id')
