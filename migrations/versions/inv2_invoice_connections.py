"""invoicing: producers' connections to an e-invoice provider (password kept encrypted)

Revision ID: inv2
Revises: structure2
Create Date: 2026-12-06 00:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'inv2'
down_revision = 'structure2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'invoice_connections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('producer_id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=20), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('secret_encrypted', sa.Text(), nullable=False),
        sa.Column('supplier_tax_code', sa.String(length=14), nullable=False),
        sa.Column('template_code', sa.String(length=20), nullable=False),
        sa.Column('series', sa.String(length=6), nullable=False),
        sa.Column('last_tested_at', sa.DateTime(), nullable=True),
        sa.Column('last_test_ok', sa.Boolean(), nullable=True),
        sa.Column('last_test_message', sa.String(length=300), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("provider IN ('viettel')", name=op.f('ck_invoice_connections_provider')),
        sa.ForeignKeyConstraint(['producer_id'], ['producers.id'],
                                name=op.f('fk_invoice_connections_producer_id_producers'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_connections')),
        sa.UniqueConstraint('producer_id', name=op.f('uq_invoice_connections_producer_id')),
    )


def downgrade():
    op.drop_table('invoice_connections')
