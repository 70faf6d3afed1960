"""search GIN indexes without a pending list (fastupdate off)

Revision ID: w7s1
Revises: strc1
Create Date: 2026-12-06 00:10:00

With `fastupdate` on, GIN queues new entries in a pending list that every search has
to scan until a vacuum merges it; the search tables are written one product at a time
and read on every shop query, so the entries go straight into the index instead.
PostgreSQL only (SQLite has no such indexes).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'w7s1'
down_revision = 'strc1'
branch_labels = None
depends_on = None

INDEXES = ("ix_search_documents_tsv", "ix_search_documents_name_tsv", "ix_search_documents_name_trgm")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} SET (fastupdate = off)")
        # Entries already queued move into the index now, not at the next vacuum.
        op.execute(f"SELECT gin_clean_pending_list('{name}'::regclass)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} RESET (fastupdate)")
