"""invoicing: the template code of each issued invoice; the connection test's outcome code

Revision ID: w9inv1
Revises: w8spg1
Create Date: 2026-12-06 05:00:00

An adjusting invoice names the template of the invoice it adjusts: the one it was issued
under, which the producer's connection may no longer use, so each invoice keeps its own
(null for invoices recorded by hand before). The connection test keeps its outcome as a
code and parameters, so each reader sees the message in their own language.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'w9inv1'
down_revision = 'w8spg1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('part_invoices') as batch_op:
        batch_op.add_column(sa.Column('template_code', sa.String(length=20), nullable=True))
    with op.batch_alter_table('invoice_connections') as batch_op:
        batch_op.add_column(sa.Column('last_test_code', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('last_test_params', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('invoice_connections') as batch_op:
        batch_op.drop_column('last_test_params')
        batch_op.drop_column('last_test_code')
    with op.batch_alter_table('part_invoices') as batch_op:
        batch_op.drop_column('template_code')
