"""unpaid order limits: the client address of an order, partial indexes of unpaid orders

Revision ID: hold1
Revises: trace1
Create Date: 2026-12-04 17:45:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'hold1'
down_revision = 'trace1'
branch_labels = None
depends_on = None

UNPAID = sa.text("status = 'pending_payment'")
INDEXES = (("ix_orders_unpaid_phone", "contact_phone"), ("ix_orders_unpaid_email", "contact_email"),
           ("ix_orders_unpaid_client", "client_address"))


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_address', sa.String(length=45), nullable=True))
    for name, column in INDEXES:
        op.create_index(name, 'orders', [column], unique=False, postgresql_where=UNPAID, sqlite_where=UNPAID)


def downgrade():
    for name, _column in INDEXES:
        op.drop_index(name, table_name='orders')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('client_address')
