"""funnel counts per day, channel, campaign, form and stage (backfilled from the leads)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "funnel_counts",
        sa.Column("day", sa.String(length=10), primary_key=True),
        sa.Column("channel", sa.String(length=50), primary_key=True),
        sa.Column("campaign", sa.String(length=200), primary_key=True),
        sa.Column("form_id", sa.String(length=200), primary_key=True),
        sa.Column("stage", sa.String(length=20), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_funnel_counts_campaign_day", "funnel_counts", ["campaign", "day"])
    op.create_index("ix_funnel_counts_form_day", "funnel_counts", ["form_id", "day"])
    op.create_index("ix_funnel_counts_channel_day", "funnel_counts", ["channel", "day"])
    day = "to_char(captured_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')" if op.get_bind().dialect.name == "postgresql" \
        else "substr(captured_at, 1, 10)"
    op.execute(
        "INSERT INTO funnel_counts (day, channel, campaign, form_id, stage, count) "
        f"SELECT {day}, coalesce(channel, ''), coalesce(campaign, ''), coalesce(form_id, ''), stage, count(*) "
        f"FROM leads WHERE is_test = false GROUP BY 1, 2, 3, 4, 5"
    )


def downgrade() -> None:
    op.drop_table("funnel_counts")
