"""search: GIN indexes without a pending list, B-tree indexes on the place/category filters

Revision ID: w7s1
Revises: inv2
Create Date: 2026-12-06 00:10:00

With `fastupdate` on, GIN queues new entries in a pending list that every search has
to scan until a vacuum merges it; the search tables are written one product at a time
and read on every shop query, so the entries go straight into the index instead.
The place and category filters get B-tree indexes, so PostgreSQL ANDs their bitmaps
with the text match's before reading rows (every database gets them: one schema).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'w7s1'
down_revision = 'inv2'
branch_labels = None
depends_on = None

INDEXES = ("ix_search_documents_tsv", "ix_search_documents_name_tsv", "ix_search_documents_name_trgm")
FILTERS = ("locality", "region", "category", "category_group")


def upgrade():
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        for column in FILTERS:
            batch_op.create_index(f'ix_search_documents_{column}', [column], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} SET (fastupdate = off)")
        # Entries already queued move into the index now, not at the next vacuum.
        op.execute(f"SELECT gin_clean_pending_list('{name}'::regclass)")


def downgrade():
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        for column in reversed(FILTERS):
            batch_op.drop_index(f'ix_search_documents_{column}')
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} RESET (fastupdate)")
