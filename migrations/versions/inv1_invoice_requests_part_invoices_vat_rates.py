"""invoicing: buyers' invoice requests, parts' issued invoices, VAT rates; cashless channel sales

Revision ID: inv1
Revises: ui1
Create Date: 2026-12-05 12:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'inv1'
down_revision = 'ui1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'invoice_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('tax_code', sa.String(length=14), nullable=True),
        sa.Column('address', sa.String(length=255), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('company', 'person')", name=op.f('ck_invoice_requests_kind')),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_invoice_requests_order_id_orders'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_requests')),
        sa.UniqueConstraint('order_id', name=op.f('uq_invoice_requests_order_id')),
    )
    op.create_table(
        'part_invoices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('part_id', sa.Integer(), nullable=False),
        sa.Column('producer_id', sa.Integer(), nullable=False),
        sa.Column('template', sa.String(length=11), nullable=False),
        sa.Column('series', sa.String(length=6), nullable=False),
        sa.Column('number', sa.String(length=8), nullable=False),
        sa.Column('lookup_code', sa.String(length=60), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('transaction_uuid', sa.String(length=40), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('issued_total_vnd', sa.BigInteger(), nullable=False),
        sa.Column('adjustment_due_at', sa.DateTime(), nullable=True),
        sa.Column('adjustment_reason', sa.Text(), nullable=True),
        sa.Column('adjust_series', sa.String(length=6), nullable=True),
        sa.Column('adjust_number', sa.String(length=8), nullable=True),
        sa.Column('adjust_lookup_code', sa.String(length=60), nullable=True),
        sa.Column('adjusted_on', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('issued', 'adjustment_due', 'adjusted')", name=op.f('ck_part_invoices_status')),
        sa.ForeignKeyConstraint(['part_id'], ['order_parts.id'], name=op.f('fk_part_invoices_part_id_order_parts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['producer_id'], ['producers.id'], name=op.f('fk_part_invoices_producer_id_producers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_part_invoices')),
        sa.UniqueConstraint('part_id', name=op.f('uq_part_invoices_part_id')),
        sa.UniqueConstraint('series', 'number', 'producer_id', name='uq_part_invoices_series_number'),
        sa.UniqueConstraint('transaction_uuid', name=op.f('uq_part_invoices_transaction_uuid')),
    )
    with op.batch_alter_table('part_invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_part_invoices_producer_id'), ['producer_id'], unique=False)
    op.create_table(
        'vat_rates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('category_slug', sa.String(length=80), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('rate', sa.String(length=4), nullable=False),
        sa.Column('source', sa.String(length=500), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("rate IN ('0', '5', '8', '10', 'KCT')", name=op.f('ck_vat_rates_rate')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_vat_rates_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_vat_rates')),
        sa.UniqueConstraint('category_slug', 'valid_from', name='uq_vat_rates_category_from'),
    )
    with op.batch_alter_table('vat_rates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vat_rates_category_slug'), ['category_slug'], unique=False)
    with op.batch_alter_table('ecommerce_channel_sales', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cashless_vnd', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('ecommerce_channel_sales', schema=None) as batch_op:
        batch_op.drop_column('cashless_vnd')
    with op.batch_alter_table('vat_rates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vat_rates_category_slug'))
    op.drop_table('vat_rates')
    with op.batch_alter_table('part_invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_part_invoices_producer_id'))
    op.drop_table('part_invoices')
    op.drop_table('invoice_requests')
