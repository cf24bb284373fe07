"""application rollup: stage counts and a capture → application duration histogram (tenths of a day) per capture
month, channel, campaign and form, backfilled, so the dashboard never reads the applications

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _key_columns() -> list[sa.Column[str]]:
    return [
        sa.Column("month", sa.String(length=7), primary_key=True),
        sa.Column("channel", sa.String(length=50), primary_key=True),
        sa.Column("campaign", sa.String(length=200), primary_key=True),
        sa.Column("form_id", sa.String(length=200), primary_key=True),
    ]


def upgrade() -> None:
    op.create_table(
        "application_counts",
        *_key_columns(),
        sa.Column("stage", sa.String(length=20), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_table(
        "application_durations",
        *_key_columns(),
        sa.Column("tenth_days", sa.Integer(), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    for table in ("application_counts", "application_durations"):
        op.create_index(f"ix_{table}_campaign_month", table, ["campaign", "month"])
        op.create_index(f"ix_{table}_form_month", table, ["form_id", "month"])
    # covering the dashboard's per-channel sums: read in order from the index, without sorting or the table
    op.create_index("ix_application_counts_channel_stage", "application_counts", ["channel", "stage", "count"])
    op.create_index(
        "ix_application_durations_channel_days", "application_durations", ["channel", "tenth_days", "count"]
    )
    # the same recount as sync.application_counts.rebuild, inlined so this migration never changes
    if op.get_bind().dialect.name == "postgresql":
        month = "coalesce(to_char(first_captured_at AT TIME ZONE 'UTC', 'YYYY-MM'), '')"
        half_up = "floor(extract(epoch FROM created_at - first_captured_at) * 10 / 86400.0 + 0.5)"
    else:
        month = "coalesce(substr(first_captured_at, 1, 7), '')"
        value = "((julianday(created_at) - julianday(first_captured_at)) * 10 + 0.5)"
        half_up = f"(CAST({value} AS INTEGER) - ({value} < CAST({value} AS INTEGER)))"
    key = "coalesce(channel, ''), coalesce(campaign, ''), coalesce(form_id, '')"
    op.execute(
        "INSERT INTO application_counts (month, channel, campaign, form_id, stage, count) "
        f"SELECT {month}, {key}, stage, count(*) FROM applications GROUP BY 1, 2, 3, 4, 5"
    )
    op.execute(
        "INSERT INTO application_durations (month, channel, campaign, form_id, tenth_days, count) "
        f"SELECT {month}, {key}, coalesce(CAST({half_up} AS INTEGER), 0), count(*) "
        "FROM applications GROUP BY 1, 2, 3, 4, 5"
    )


def downgrade() -> None:
    op.drop_table("application_durations")
    op.drop_table("application_counts")
