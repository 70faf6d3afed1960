"""traceability: units per order line's lot, lot documents and photos, suspected-fake reports

Revision ID: trace2
Revises: srch1
Create Date: 2026-12-05 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'trace2'
down_revision = 'srch1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_line_lots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quantity', sa.Integer(), nullable=True))
    # Lines recorded before quantities came from one lot each: the whole line.
    op.execute("UPDATE order_line_lots SET quantity = (SELECT order_lines.quantity FROM order_lines "
               "WHERE order_lines.id = order_line_lots.order_line_id)")
    with op.batch_alter_table('order_line_lots', schema=None) as batch_op:
        batch_op.alter_column('quantity', existing_type=sa.Integer(), nullable=False)

    op.create_table(
        'lot_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('thumb_key', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('document', 'photo')", name=op.f('ck_lot_files_kind_known')),
        sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], ondelete='CASCADE', name=op.f('fk_lot_files_lot_id_lots')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_files')),
    )
    with op.batch_alter_table('lot_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lot_files_lot_id'), ['lot_id'], unique=False)

    op.create_table(
        'fake_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('contact', sa.String(length=200), nullable=False),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], ondelete='CASCADE',
                                name=op.f('fk_fake_reports_lot_id_lots')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fake_reports')),
    )
    with op.batch_alter_table('fake_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fake_reports_lot_id'), ['lot_id'], unique=False)


def downgrade():
    op.drop_table('fake_reports')
    op.drop_table('lot_files')
    with op.batch_alter_table('order_line_lots', schema=None) as batch_op:
        batch_op.drop_column('quantity')
