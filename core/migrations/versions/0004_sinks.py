"""remote ids per sink connection; timeline notes for routing decisions

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import core.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "remote_records",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("connection_id", sa.String(length=40), sa.ForeignKey("connections.id"), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("remote_id", sa.String(length=200), nullable=False),
        sa.Column("remote_kind", sa.String(length=40), nullable=True),
        sa.Column("updated_at", core.models.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("connection_id", "subject_type", "subject_id", name="uq_remote_records_subject"),
    )
    op.create_index("ix_remote_records_subject_id", "remote_records", ["subject_id"])
    op.create_table(
        "timeline_notes",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("person_id", sa.String(length=40), nullable=True),
        sa.Column("lead_id", sa.String(length=40), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("at", core.models.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_timeline_notes_person_id", "timeline_notes", ["person_id"])
    op.create_index("ix_timeline_notes_lead_id", "timeline_notes", ["lead_id"])


def downgrade() -> None:
    op.drop_table("timeline_notes")
    op.drop_table("remote_records")
