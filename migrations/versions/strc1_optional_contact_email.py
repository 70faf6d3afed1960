"""optional contact email: a guest's order needs a phone number, an email only if given

Revision ID: strc1
Revises: inv1
Create Date: 2026-12-05 12:55:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'strc1'
down_revision = 'inv1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('contact_email', existing_type=sa.String(length=254), nullable=True)


def downgrade():
    # Orders placed without an email get an empty one back, the value NOT NULL allows.
    op.execute(sa.text("UPDATE orders SET contact_email = '' WHERE contact_email IS NULL"))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('contact_email', existing_type=sa.String(length=254), nullable=False)
