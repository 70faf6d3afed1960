"""sample flags and sources: which catalogue rows are illustrative, and where the others come from

Revision ID: data1
Revises: auth2
Create Date: 2026-12-04 17:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'data1'
down_revision = 'auth2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('producers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sample', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sample', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('source', sa.String(length=500), nullable=True))
        batch_op.create_index(batch_op.f('ix_products_sample'), ['sample'], unique=False)


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_sample'))
        batch_op.drop_column('source')
        batch_op.drop_column('sample')
    with op.batch_alter_table('producers', schema=None) as batch_op:
        batch_op.drop_column('sample')
