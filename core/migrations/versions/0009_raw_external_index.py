"""index raw records by connection and external id (pull and import skip what is already waiting)

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_raw_records_connection_external", "raw_records", ["connection_id", "external_id"])


def downgrade() -> None:
    op.drop_index("ix_raw_records_connection_external", "raw_records")
