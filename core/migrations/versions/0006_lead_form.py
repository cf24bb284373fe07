"""form id on leads (funnel filter) and indexes for the dashboard

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("form_id", sa.String(length=200), nullable=True))
    op.create_index("ix_leads_captured", "leads", ["captured_at"])
    op.create_index("ix_leads_campaign_form", "leads", ["campaign", "form_id"])


def downgrade() -> None:
    op.drop_index("ix_leads_campaign_form", "leads")
    op.drop_index("ix_leads_captured", "leads")
    with op.batch_alter_table("leads") as batch:
        batch.drop_column("form_id")
