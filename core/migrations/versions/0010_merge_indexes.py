"""indexes for merges and merged-away persons (a merge or undo among a million persons scanned the table)

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_persons_merged_into_id", "persons", ["merged_into_id"])
    op.create_index("ix_merges_survivor_id", "merges", ["survivor_id"])
    op.create_index("ix_merges_merged_id", "merges", ["merged_id"])


def downgrade() -> None:
    op.drop_index("ix_merges_merged_id", "merges")
    op.drop_index("ix_merges_survivor_id", "merges")
    op.drop_index("ix_persons_merged_into_id", "persons")
