"""person blocking keys, duplicate review queue, qualification result on leads

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import core.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_blocks",
        sa.Column("person_id", sa.String(length=40), sa.ForeignKey("persons.id"), primary_key=True),
        sa.Column("block", sa.String(length=120), primary_key=True),
    )
    op.create_index("ix_person_blocks_block", "person_blocks", ["block"])
    op.create_table(
        "review_items",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("person_id", sa.String(length=40), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("candidate_id", sa.String(length=40), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("lead_id", sa.String(length=40), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
    )
    op.create_index("ix_review_items_person_id", "review_items", ["person_id"])
    op.create_index("ix_review_items_status", "review_items", ["status"])
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("decided_by_rule", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.drop_column("decided_by_rule")
        batch.drop_column("score")
    op.drop_table("review_items")
    op.drop_table("person_blocks")
