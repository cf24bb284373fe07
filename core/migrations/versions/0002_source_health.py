"""raw record kind (record | notice); connection rate-limit and sync timestamps

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import core.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("raw_records") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), nullable=False, server_default="record"))
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("rate_limited_until", core.models.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_sync_at", core.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("last_sync_at")
        batch.drop_column("rate_limited_until")
    with op.batch_alter_table("raw_records") as batch:
        batch.drop_column("kind")
