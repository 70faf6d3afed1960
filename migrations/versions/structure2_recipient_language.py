"""the language a user or a guest order's contact reads: e-mails are written in it

Revision ID: structure2
Revises: strc1
Create Date: 2026-12-06 00:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'structure2'
down_revision = 'strc1'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows were written for Vietnamese readers first: Vietnamese is the default.
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('lang', sa.String(length=5), nullable=False, server_default='vi'))
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('contact_lang', sa.String(length=5), nullable=False, server_default='vi'))


def downgrade():
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('contact_lang')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('lang')
