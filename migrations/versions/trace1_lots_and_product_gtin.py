"""traceability: lots of a product (scans, recall), the product's GTIN, order lines' lots

Revision ID: trace1
Revises: idem1
Create Date: 2026-12-04 18:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'trace1'
down_revision = 'idem1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gtin', sa.String(length=14), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_products_gtin'), ['gtin'])

    op.create_table(
        'lots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('producer_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=20), nullable=False),
        sa.Column('produced_on', sa.Date(), nullable=False),
        sa.Column('best_before', sa.Date(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('origin_locality_id', sa.Integer(), nullable=True),
        sa.Column('process', sa.JSON(), nullable=False),
        sa.Column('inputs', sa.JSON(), nullable=False),
        sa.Column('scan_count', sa.Integer(), nullable=False),
        sa.Column('first_scanned_at', sa.DateTime(), nullable=True),
        sa.Column('last_scanned_at', sa.DateTime(), nullable=True),
        sa.Column('recalled_at', sa.DateTime(), nullable=True),
        sa.Column('recall_reason', sa.Text(), nullable=True),
        sa.Column('recalled_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_lots_quantity_positive')),
        sa.CheckConstraint('scan_count >= 0', name=op.f('ck_lots_scan_count_nonnegative')),
        sa.ForeignKeyConstraint(['origin_locality_id'], ['localities.id'],
                                name=op.f('fk_lots_origin_locality_id_localities')),
        sa.ForeignKeyConstraint(['producer_id'], ['producers.id'], name=op.f('fk_lots_producer_id_producers')),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_lots_product_id_products')),
        sa.ForeignKeyConstraint(['recalled_by_id'], ['users.id'], name=op.f('fk_lots_recalled_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lots')),
        sa.UniqueConstraint('product_id', 'code', name='uq_lots_product_code'),
    )
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lots_producer_id'), ['producer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lots_product_id'), ['product_id'], unique=False)
    op.create_table(
        'order_line_lots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_line_id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_order_line_lots_lot_id_lots')),
        sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], ondelete='CASCADE',
                                name=op.f('fk_order_line_lots_order_line_id_order_lines')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_order_line_lots')),
        sa.UniqueConstraint('order_line_id', 'lot_id', name='uq_order_line_lots_line_lot'),
    )
    with op.batch_alter_table('order_line_lots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_line_lots_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_line_lots_order_line_id'), ['order_line_id'], unique=False)


def downgrade():
    op.drop_table('order_line_lots')
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lots_product_id'))
        batch_op.drop_index(batch_op.f('ix_lots_producer_id'))
    op.drop_table('lots')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_products_gtin'), type_='unique')
        batch_op.drop_column('gtin')
