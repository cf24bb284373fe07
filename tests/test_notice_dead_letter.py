"""A pushed notice whose lead the platform will not show (Meta 100/33) is retried with back-off, then given up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select, update

from connectors.sources.meta_lead_ads import fake_webhooks
from connectors.sources.meta_lead_ads.fake import SANDBOX_TOKEN, MetaFake
from connectors.sources.meta_lead_ads.fake_seed import PAGE_ID
from core.context import Context
from core.errors import ConfigurationError, SourceError
from core.models import RawRecord, utcnow
from core.settings import Settings
from sync import connections, pipeline, sweeper
from sync.cli import main
from tests.admin_helpers import login, make_user
from tests.conftest import RecordingDispatcher

APP_SECRET = "test_app_secret"
VERIFY_TOKEN = "verify-4711"
LIMIT = 3


@pytest.fixture
def hub(settings: Settings, dispatcher: RecordingDispatcher) -> Any:
    """A context that gives up after ``LIMIT`` attempts, sharing the test's database."""
    context = Context.build(settings.model_copy(update={"notice_max_attempts": LIMIT}), dispatcher)
    yield context
    context.db.dispose()


@pytest.fixture
def fake(hub: Context, app: Flask, live_server: Any) -> MetaFake:
    api = MetaFake(time_scale=0.005)
    settings = {"base_url": live_server(api.app()).url, "page_id": PAGE_ID, "wait_scale": 0.005}
    secrets = {"access_token": SANDBOX_TOKEN, "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN}
    connections.create(hub, "meta", "meta_lead_ads", settings, secrets)
    api.subscribe(f"{live_server(app).url}/hooks/meta_lead_ads/meta", VERIFY_TOKEN, APP_SECRET)
    return api


def push_two_leads_one_hidden(fake: MetaFake) -> tuple[str, str]:
    """One signed delivery naming two leads; Meta answers 100/33 for the first, every time."""
    hidden, shown = (fake.add_lead(notify=False) for _ in range(2))
    fake.fail_next("unknown_id", count=1000, on=str(hidden["id"]))
    raw = fake_webhooks.body([fake_webhooks.leadgen_value(hidden), fake_webhooks.leadgen_value(shown)])
    fake_webhooks.deliver(fake.subscriptions[0].url, raw, APP_SECRET)
    return str(hidden["id"]), str(shown["id"])


def notice(hub: Context) -> RawRecord:
    with hub.db.session() as session:
        row = session.scalar(select(RawRecord).where(RawRecord.kind == "notice"))
    assert row is not None
    return row


def test_a_hidden_lead_is_retried_with_growing_pauses_then_given_up_with_the_reason(
    hub: Context, fake: MetaFake
) -> None:
    hidden, shown = push_two_leads_one_hidden(fake)
    waits = []
    for attempt in range(1, LIMIT):
        with pytest.raises(SourceError, match="100/33"):
            pipeline.process(hub, notice(hub).id)
        row = notice(hub)
        assert (row.status, row.attempts) == ("pending", attempt)
        assert row.error and row.error.startswith(f"Attempt {attempt} of {LIMIT} failed") and hidden in row.error
        assert row.retry_at is not None
        waits.append(row.retry_at - utcnow())
    assert waits[1] > waits[0] + timedelta(seconds=hub.settings.sweep_grace_s / 2)  # the pause doubles
    outcome = pipeline.process(hub, notice(hub).id)
    row = notice(hub)
    assert (row.status, row.attempts, row.retry_at) == ("failed", LIMIT, None)
    assert row.error and row.error.startswith(f"Given up after {LIMIT} attempts")
    assert "Meta will not show this lead" in row.error and hidden in row.error and shown not in row.error
    [child] = outcome.raw_records  # the lead Meta did show is not lost with the hidden one
    assert pipeline.process(hub, child).status == "created"
    assert pipeline.process(hub, row.id).status == "fetched" and notice(hub).status == "failed"  # stays given up


def test_the_sweeper_leaves_a_refused_notice_alone_until_its_retry_time(hub: Context, fake: MetaFake) -> None:
    push_two_leads_one_hidden(fake)
    with hub.db.transaction() as session:  # old enough for the sweeper
        session.execute(update(RawRecord).values(received_at=utcnow() - timedelta(hours=1)))
    with pytest.raises(SourceError):
        pipeline.process(hub, notice(hub).id)
    assert sweeper.sweep(hub).raw_records == 0
    with hub.db.transaction() as session:
        session.execute(update(RawRecord).values(retry_at=utcnow() - timedelta(seconds=1)))
    assert sweeper.sweep(hub).raw_records == 1


def test_a_given_up_notice_shows_in_metrics_the_admin_and_connection_status(
    hub: Context, fake: MetaFake, app: Flask, client: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    push_two_leads_one_hidden(fake)
    for _ in range(LIMIT - 1):
        with pytest.raises(SourceError):
            pipeline.process(hub, notice(hub).id)
    pipeline.process(hub, notice(hub).id)
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'leadhub_intake_records{source="meta_lead_ads",status="failed"} 1.0' in metrics
    assert 'leadhub_failures{kind="raw_record"} 1.0' in metrics
    ctx: Context = app.extensions["leadhub"]
    make_user(ctx, "ops@example.org", "viewer")
    login(client, "ops@example.org")
    page = client.get(f"/admin/connections/{connections.find(ctx, 'meta').id}").get_data(as_text=True)
    assert f"Given up after {LIMIT} attempts" in page and "Meta will not show this lead" in page
    for key, value in settings.as_env().items():
        monkeypatch.setenv(key, value)
    status = CliRunner().invoke(main, ["connectors", "status"])
    assert status.exit_code == 0, status.output
    assert "1 pushed notice(s) given up" in status.output


def test_the_limit_is_a_setting_read_from_the_environment() -> None:
    assert Settings.from_env({}).notice_max_attempts == 10
    assert Settings.from_env({"LEADHUB_NOTICE_MAX_ATTEMPTS": "4"}).notice_max_attempts == 4
    with pytest.raises(ConfigurationError, match="LEADHUB_NOTICE_MAX_ATTEMPTS: Input should be greater"):
        Settings.from_env({"LEADHUB_NOTICE_MAX_ATTEMPTS": "0"})
