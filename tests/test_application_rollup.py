"""The application rollup the dashboard reads stays equal to counting the applications directly, through
conversions and stage changes, and its bucketed median is the median of durations rounded to a tenth of a day."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select

from admin import funnel
from connectors.sources.form_webhook import samples
from core import migrate
from core.context import Context
from core.models import Application, ApplicationCount, ApplicationDuration, Lead
from core.schema import ApplicationStage
from sync import application_counts, applications, connections, conversion, pipeline
from tests.admin_helpers import login, make_user
from tests.helpers import SIGNING_SECRET, encode
from webhooks import inbox

Key = tuple[str, str, str, str]


@pytest.fixture
def hub(app: Any) -> Context:
    ctx: Context = app.extensions["leadhub"]
    connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
    return ctx


def capture(ctx: Context, n: int, ago: timedelta) -> str:
    """A form submission made ``ago`` before now (so applications take different times and months)."""
    conn = connections.find(ctx, "careers")
    submission = {**samples.submission(n, prefix="r"), "submitted_at": (datetime.now(UTC) - ago).isoformat()}
    lead_id = pipeline.process(ctx, inbox.store(ctx, conn.id, "form_webhook", encode(submission))).lead_id
    assert lead_id
    return lead_id


def _key(app: Application) -> Key:
    month = app.first_captured_at.strftime("%Y-%m") if app.first_captured_at else ""
    return month, app.channel or "", app.campaign or "", app.form_id or ""


def direct(ctx: Context) -> tuple[Counter[tuple[Key, str]], Counter[tuple[Key, int]], list[Application]]:
    """Stage counts and duration histogram counted from the applications themselves."""
    with ctx.db.session() as session:
        apps = list(session.scalars(select(Application)))
    stages = Counter((_key(a), a.stage) for a in apps)
    durations = Counter((_key(a), application_counts.tenth_days(a)) for a in apps)
    return stages, durations, apps


def rollup(ctx: Context) -> tuple[Counter[tuple[Key, str]], Counter[tuple[Key, int]]]:
    """The two rollup tables, without rows that went down to zero."""
    with ctx.db.session() as session:
        stages = Counter(
            {
                ((r.month, r.channel, r.campaign, r.form_id), r.stage): r.count
                for r in session.scalars(select(ApplicationCount))
            }
        )
        durations = Counter(
            {
                ((r.month, r.channel, r.campaign, r.form_id), r.tenth_days): r.count
                for r in session.scalars(select(ApplicationDuration))
            }
        )
    return +stages, +durations


def move(ctx: Context, application_id: str, *to: ApplicationStage) -> None:
    with ctx.db.transaction() as session:
        application = session.get(Application, application_id)
        assert application is not None
        for stage in to:
            applications.move(session, application, stage, "test")
            assert application.stage == stage.value


def test_the_rollup_equals_a_direct_count_and_median_after_conversions_and_status_changes(hub: Context) -> None:
    # 12 leads captured over the last ~80 days (several months), at odd hours so durations are not whole days
    leads = [capture(hub, n, timedelta(days=n * 6.7, hours=n * 5, minutes=n * 13)) for n in range(12)]
    with hub.db.session() as session:
        assert len({lead.captured_at.strftime("%Y-%m") for lead in session.scalars(select(Lead))}) >= 2
    made = [conversion.convert(hub, lead, "J-1") for lead in leads[:9]]
    made += [conversion.convert(hub, lead, "J-2") for lead in leads[:3]]  # a second job: another application
    assert conversion.convert(hub, leads[0], "J-1") == made[0]  # converting again counts nothing twice
    assert rollup(hub) == direct(hub)[:2]

    move(hub, made[0], ApplicationStage.in_review, ApplicationStage.interview)
    move(hub, made[1], ApplicationStage.hired)  # a jump forward over skipped steps
    move(hub, made[2], ApplicationStage.rejected)
    move(hub, made[3], ApplicationStage.in_review, ApplicationStage.withdrawn)
    move(hub, made[9], ApplicationStage.offer)
    with hub.db.transaction() as session:  # refused moves (backwards, out of a final stage) change nothing
        application = session.get(Application, made[1])
        assert application is not None
        applications.move(session, application, ApplicationStage.in_review, "test")
        assert application.stage == "hired"
    stages, durations, apps = direct(hub)
    assert rollup(hub) == (stages, durations)
    assert {stage for _, stage in stages} >= {"received", "interview", "hired", "rejected", "withdrawn", "offer"}

    # migration 0012's backfill and the benchmark's recount agree with the counts kept step by step
    config = migrate.alembic_config()
    with hub.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0011")
        command.upgrade(config, "head")
    assert rollup(hub) == (stages, durations)
    with hub.db.engine.begin() as connection:
        application_counts.rebuild(connection)
    assert rollup(hub) == (stages, durations)

    rounded = [application_counts.tenth_days(a) / 10 for a in apps]
    exact = [(a.created_at - a.first_captured_at).total_seconds() / 86400 for a in apps if a.first_captured_at]
    with hub.db.session() as session:
        total, channels = funnel.compute(session, funnel.Filters())
    assert total.median_days_to_application == statistics.median(rounded)
    assert abs(total.median_days_to_application - statistics.median(exact)) <= 0.05
    assert sum(c.steps["received"] for c in channels) == total.steps["received"] == len(apps)
    assert total.steps["interview"] == sum(a.stage in {"interview", "offer", "hired"} for a in apps)
    assert total.rejected == 2

    # filtered like the dashboard: one campaign, and a start month
    campaign = apps[0].campaign
    start = min(a.first_captured_at for a in apps if a.first_captured_at) + timedelta(days=32)
    start_month = datetime(start.year, start.month, 1, tzinfo=UTC)
    for filters, chosen in (
        (funnel.Filters(campaign=campaign), [a for a in apps if a.campaign == campaign]),
        (
            funnel.Filters(start=start_month),
            [a for a in apps if a.first_captured_at and a.first_captured_at >= start_month],
        ),
    ):
        with hub.db.session() as session:
            total, _ = funnel.compute(session, filters)
        assert chosen and total.steps["received"] == len(chosen)
        assert total.median_days_to_application == statistics.median(
            application_counts.tenth_days(a) / 10 for a in chosen
        )


def test_the_bucketed_median_is_the_middle_value_or_the_mean_of_the_middle_two() -> None:
    assert funnel.median_days(Counter()) is None
    assert funnel.median_days(Counter({35: 1})) == 3.5
    assert funnel.median_days(Counter({10: 2, 20: 1})) == 1.0
    assert funnel.median_days(Counter({10: 2, 20: 2})) == 1.5
    histogram = Counter({3: 4, 7: 1, 40: 3, 41: 2})
    assert funnel.median_days(histogram) == statistics.median(t / 10 for t in histogram.elements())


def test_the_dashboard_shows_the_bucketed_median_and_says_so(client: Any, hub: Context) -> None:
    lead = capture(hub, 1, timedelta(days=2, hours=7))  # 2.29 days → 2.3 days
    conversion.convert(hub, lead, "J-1")
    make_user(hub, "admin@example.org", "admin")
    login(client, "admin@example.org")
    page = client.get("/admin/").get_data(as_text=True)
    assert "2.3 days" in page and "rounded to the nearest 0.1 day" in page
    assert client.get("/admin/?campaign=no-such-campaign").status_code == 200
