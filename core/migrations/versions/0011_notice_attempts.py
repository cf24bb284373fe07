"""raw record attempts and retry time (a pushed notice the platform will not complete is given up after N tries)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

import core.models

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("raw_records") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("retry_at", core.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("raw_records") as batch:
        batch.drop_column("retry_at")
        batch.drop_column("attempts")
