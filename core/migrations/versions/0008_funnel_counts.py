"""funnel counts per month, channel, campaign, form and stage; the credited attribution on applications
(both backfilled, so the dashboard reads a few thousand rows, not the leads)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

import core.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "funnel_counts",
        sa.Column("month", sa.String(length=7), primary_key=True),
        sa.Column("channel", sa.String(length=50), primary_key=True),
        sa.Column("campaign", sa.String(length=200), primary_key=True),
        sa.Column("form_id", sa.String(length=200), primary_key=True),
        sa.Column("stage", sa.String(length=20), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_funnel_counts_campaign_month", "funnel_counts", ["campaign", "month"])
    op.create_index("ix_funnel_counts_form_month", "funnel_counts", ["form_id", "month"])
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=50), nullable=True))
        batch.add_column(sa.Column("campaign", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("form_id", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("first_captured_at", core.models.UTCDateTime(timezone=True), nullable=True))
    postgres = op.get_bind().dialect.name == "postgresql"
    month = "to_char(captured_at AT TIME ZONE 'UTC', 'YYYY-MM')" if postgres else "substr(captured_at, 1, 7)"
    op.execute(
        "INSERT INTO funnel_counts (month, channel, campaign, form_id, stage, count) "
        f"SELECT {month}, coalesce(channel, ''), coalesce(campaign, ''), coalesce(form_id, ''), stage, count(*) "
        "FROM leads WHERE is_test = false GROUP BY 1, 2, 3, 4, 5"
    )
    first_lead = (
        "(SELECT l.{col} FROM application_leads al JOIN leads l ON l.id = al.lead_id "
        "WHERE al.application_id = applications.id ORDER BY l.captured_at LIMIT 1)"
    )
    op.execute(
        "UPDATE applications SET "
        + ", ".join(f"{col} = {first_lead.format(col=src)}" for col, src in
                    (("channel", "channel"), ("campaign", "campaign"), ("form_id", "form_id"),
                     ("first_captured_at", "captured_at")))
    )


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        for column in ("first_captured_at", "form_id", "campaign", "channel"):
            batch.drop_column(column)
    op.drop_table("funnel_counts")
