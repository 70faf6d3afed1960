"""producer tax codes: several applicants may claim one; one may sell

Revision ID: auth2
Revises: auth1
Create Date: 2026-12-04 17:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'auth2'
down_revision = 'auth1'
branch_labels = None
depends_on = None

SELLING = "approved AND suspended_at IS NULL"


def upgrade():
    with op.batch_alter_table('producers', schema=None) as batch_op:
        batch_op.drop_constraint('uq_producers_tax_code', type_='unique')
        batch_op.create_index(batch_op.f('ix_producers_tax_code'), ['tax_code'], unique=False)
        batch_op.create_index('uq_producers_selling_tax_code', ['tax_code'], unique=True,
                              sqlite_where=sa.text(SELLING), postgresql_where=sa.text(SELLING))


def downgrade():
    with op.batch_alter_table('producers', schema=None) as batch_op:
        batch_op.drop_index('uq_producers_selling_tax_code')
        batch_op.drop_index(batch_op.f('ix_producers_tax_code'))
        batch_op.create_unique_constraint('uq_producers_tax_code', ['tax_code'])
