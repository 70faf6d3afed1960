"""stock alerts: shoppers waiting for a sold-out product to come back

Revision ID: ui1
Revises: trace2
Create Date: 2026-12-05 12:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'ui1'
down_revision = 'trace2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stock_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('lang', sa.String(length=5), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('notified_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('product_id', 'email', name='uq_stock_alerts_product_email'),
    )
    op.create_index('ix_stock_alerts_email', 'stock_alerts', ['email'], unique=False)


def downgrade():
    op.drop_index('ix_stock_alerts_email', table_name='stock_alerts')
    op.drop_table('stock_alerts')
