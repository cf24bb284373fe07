"""hub settings edited in the admin (qualification rules)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import core.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_settings",
        sa.Column("key", sa.String(length=100), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("hub_settings")
