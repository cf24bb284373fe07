"""attachments (CVs) of applications

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import core.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("application_id", sa.String(length=40), sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", core.models.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_attachments_application_id", "attachments", ["application_id"])


def downgrade() -> None:
    op.drop_table("attachments")
