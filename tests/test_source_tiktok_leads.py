"""tiktok_leads pull: export tasks per instant form against the sandbox fake, through sync/pull.py."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.sources import tiktok_leads
from connectors.sources.tiktok_leads import record
from connectors.sources.tiktok_leads.fake import TikTokFake
from core.context import Context
from core.errors import AuthExpired, SourceError
from core.models import Connection, Lead, Person, RawRecord
from sync import connections, pipeline, pull
from tests import source_parity

APP_SECRET = "sandbox-app-secret"


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CDK polls export tasks every 5 s; the fake finishes at once, so tests poll every 20 ms."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    from airbyte_cdk.sources.declarative.async_job.job_orchestrator import AsyncJobOrchestrator

    root.handlers[:], root.level = handlers, level
    monkeypatch.setattr(AsyncJobOrchestrator, "_WAIT_TIME_BETWEEN_STATUS_UPDATE_IN_SECONDS", 0.02)


@pytest.fixture
def tiktok(ctx: Context, live_server: Any) -> TikTokFake:
    fake = TikTokFake(forms=2, rate_limit_window_s=0.4)
    server = live_server(fake.app())
    settings = {"base_url": server.url, "advertiser_id": fake.advertiser_id, "page_size": 1, "rate_limit_wait_s": 0.25}
    connections.create(ctx, "tiktok", "tiktok_leads", settings, {"access_token": fake.token, "app_secret": APP_SECRET})
    return fake


def count(ctx: Context, model: Any) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def connection(ctx: Context) -> Connection:
    with ctx.db.session() as session:
        conn = session.scalar(select(Connection).where(Connection.name == "tiktok"))
        assert conn is not None
        return conn


def process_all(ctx: Context, dispatcher: Any) -> None:
    for raw_id in list(dispatcher.raw):
        pipeline.process(ctx, raw_id)
    dispatcher.raw.clear()


def test_full_sync_exports_every_form_on_every_page_and_stores_each_lead(
    ctx: Context, tiktok: TikTokFake, dispatcher: Any
) -> None:
    tiktok.add_leads(2, tiktok.forms[0].page_id)
    tiktok.add_leads(3, tiktok.forms[1].page_id)  # the second form is alone on the last page of /page/get/
    result = pull.run(ctx, "tiktok")
    assert (result.records, result.stored) == (5, 5)
    pages = [path for path in tiktok.requests if "/page/get/" in path]
    assert any("page=2" in path for path in pages) and not any("page=3" in path for path in pages)
    assert sum("/page/lead/task/download/" in path for path in tiktok.requests) == 2  # one export per form
    process_all(ctx, dispatcher)
    assert count(ctx, Lead) == 5


def test_second_sync_stores_only_new_leads(ctx: Context, tiktok: TikTokFake, dispatcher: Any) -> None:
    tiktok.add_leads(3)
    pull.run(ctx, "tiktok")
    process_all(ctx, dispatcher)
    tiktok.add_leads(2)
    second = pull.run(ctx, "tiktok")
    assert (second.records, second.stored, second.skipped_known) == (5, 2, 3)  # the export is always complete
    process_all(ctx, dispatcher)
    assert count(ctx, Lead) == 5 and count(ctx, RawRecord) == 5


def test_page_id_setting_exports_only_that_form(ctx: Context, tiktok: TikTokFake, live_server: Any) -> None:
    tiktok.add_leads(2, tiktok.forms[0].page_id)
    tiktok.add_leads(1, tiktok.forms[1].page_id)
    server = live_server(tiktok.app())
    connections.create(
        ctx,
        "tiktok-one-form",
        "tiktok_leads",
        {"base_url": server.url, "advertiser_id": tiktok.advertiser_id, "page_id": tiktok.forms[1].page_id},
        {"access_token": tiktok.token, "app_secret": APP_SECRET},
    )
    tiktok.requests.clear()
    assert pull.run(ctx, "tiktok-one-form").stored == 1
    assert [p for p in tiktok.requests if "page_id=" in p] == [
        f"/open_api/v1.3/page/lead/task/?advertiser_id={tiktok.advertiser_id}&page_id={tiktok.forms[1].page_id}"
    ]


def test_export_task_is_polled_until_it_succeeds(ctx: Context, tiktok: TikTokFake) -> None:
    tiktok.polls_until_done = 3
    tiktok.add_leads(2)
    assert pull.run(ctx, "tiktok").stored == 2
    first_task = next(iter(tiktok.tasks))
    assert sum(path.endswith(f"task_id={first_task}") and "download" not in path for path in tiktok.requests) >= 4


def test_failed_export_task_is_created_again_and_completes(ctx: Context, tiktok: TikTokFake) -> None:
    tiktok.add_leads(2)
    tiktok.fail_next("task_failed")
    assert pull.run(ctx, "tiktok").stored == 2
    statuses = [task["status"] for task in tiktok.tasks.values()]
    assert statuses.count("FAILED") == 1 and statuses.count("SUCCEED") == 2


@pytest.mark.parametrize("endpoint", ["/page/lead/task/", "/page/lead/task/download/"], ids=["task", "download"])
def test_throttling_code_waits_then_completes(ctx: Context, tiktok: TikTokFake, endpoint: str) -> None:
    tiktok.add_leads(2)
    tiktok.fail_next("rate_limit", on=endpoint)
    started = time.monotonic()
    assert pull.run(ctx, "tiktok").stored == 2
    assert time.monotonic() - started >= 1.25  # waited rate_limit_wait_s (0.25 s; the CDK adds 1 s) …
    assert 40100 in tiktok.answers  # … after the fake refused (it refuses everything for 0.4 s)


def test_internal_error_code_is_retried(ctx: Context, tiktok: TikTokFake) -> None:
    tiktok.add_leads(1)
    tiktok.fail_next("server_error", on="/page/lead/task/")
    assert pull.run(ctx, "tiktok").stored == 1
    assert tiktok.answers.count(50000) == 1


@pytest.mark.parametrize("how", ["expired", "revoked"])
def test_expired_or_revoked_token_flags_the_connection_for_reauthorisation(
    ctx: Context, tiktok: TikTokFake, how: str
) -> None:
    tiktok.add_leads(1)
    if how == "expired":
        tiktok.fail_next("token_expired", on="/page/lead/task/")
    else:
        tiktok.token = "rotated"
    with pytest.raises(AuthExpired):
        pull.run(ctx, "tiktok")
    conn = connection(ctx)
    assert conn.status == "needs_reauth"
    assert ("40102" if how == "expired" else "40105") in (conn.status_message or "")


def test_expired_export_file_fails_the_sync_and_the_next_sync_completes(ctx: Context, tiktok: TikTokFake) -> None:
    tiktok.add_leads(2)
    tiktok.fail_next("file_expired")
    with pytest.raises(SourceError, match="The file does not exist or has expired"):
        pull.run(ctx, "tiktok")
    assert pull.run(ctx, "tiktok").stored == 2
    assert connection(ctx).status == "ok"


def test_expired_export_file_is_not_taken_for_an_expired_token(ctx: Context, tiktok: TikTokFake) -> None:
    tiktok.add_leads(1)
    tiktok.fail_next("file_expired")
    with pytest.raises(SourceError) as raised:
        pull.run(ctx, "tiktok")
    assert not isinstance(raised.value, AuthExpired)
    assert connection(ctx).status == "ok"


def test_pulled_lead_maps_person_attribution_answers_and_consent_like_a_pushed_one(
    ctx: Context, tiktok: TikTokFake, dispatcher: Any
) -> None:
    (lead,) = tiktok.add_leads(1)
    pull.run(ctx, "tiktok")
    outcome = pipeline.process(ctx, dispatcher.raw[0])
    assert outcome.status == "created"
    answers = {item["field_name"]: item["field_value"] for item in lead["field_data"]}
    with ctx.db.session() as session:
        stored = session.get(Lead, outcome.lead_id)
        assert stored is not None
        person = session.get(Person, stored.person_id)
        assert person is not None
    assert stored.external_id == stored.platform_lead_key == lead["lead_id"]
    assert stored.channel == "tiktok" and stored.campaign == lead["campaign_name"]
    assert stored.captured_at.isoformat().startswith(lead["created_time"].replace(" ", "T"))
    assert stored.data["person"]["full_name"] == answers["Name"] == f"{person.first_name} {person.last_name}"
    assert person.email == answers["Email"]
    assert person.phone is not None and person.phone.startswith("+49")
    assert person.city == answers["City"]
    attribution = stored.data["attribution"]
    assert attribution["account_id"] == tiktok.advertiser_id
    assert (attribution["campaign_id"], attribution["ad_set_id"], attribution["ad_id"]) == (
        lead["campaign_id"],
        lead["adgroup_id"],
        lead["ad_id"],
    )
    assert (attribution["form_id"], attribution["form_name"]) == (lead["page_id"], lead["page_name"])
    assert [a["key"] for a in stored.data["answers"]] == [
        "wie_viele_jahre_berufserfahrung_haben_sie",
        "ab_wann_können_sie_starten",
    ]
    (consent,) = stored.data["consents"]
    assert (consent["purpose"], consent["platform_key"]) == ("talent_pool", "einwilligung_aufnahme_in_den_talentpool")
    assert consent["granted"] is (answers["Einwilligung: Aufnahme in den Talentpool"] == "Yes")
    # The manifest's Jinja and record.py flatten alike, so one mapping serves pulled and pushed leads.
    with ctx.db.session() as session:
        body = session.scalar(select(RawRecord.body))
    assert body is not None
    fetched = record.flatten(record.row_from_api(tiktok.lead(lead["lead_id"]) or {}, tiktok.advertiser_id))
    assert json.loads(body) == fetched


def test_in_process_pull_stores_what_the_manifest_jinja_gives_for_every_seeded_lead(
    ctx: Context, tiktok: TikTokFake
) -> None:
    """leadhub's pull swaps the manifest's Jinja for record.flatten (in_process.py); as Airbyte runs the manifest
    it must give the very same records."""
    tiktok.add_leads(3)
    pull.run(ctx, "tiktok")
    pulled = source_parity.stored_records(ctx)
    assert len(pulled) >= 3 and source_parity.airbyte_records(ctx, "tiktok") == pulled
    assert pull.manifest_for(tiktok_leads)["streams"][1]["transformations"][0]["type"] == "CustomTransformation"


def test_export_downloads_go_to_a_private_directory_not_the_working_directory(
    ctx: Context, tiktok: TikTokFake, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CDK writes each export CSV (personal data) to a temporary file; in leadhub it must not land in cwd."""
    import os
    import stat

    from airbyte_cdk.sources.declarative.extractors import response_to_file_extractor

    tiktok.add_leads(2)
    monkeypatch.chdir(tmp_path)
    pull._import_cdk()
    names = response_to_file_extractor.uuid  # type: ignore[attr-defined]
    used: list[str] = []
    name = names.uuid4
    monkeypatch.setattr(names, "uuid4", lambda: used.append(name()) or used[-1])
    assert pull.run(ctx, "tiktok").stored >= 2
    assert used and all(os.path.dirname(path) == names.directory for path in used)  # one file per export
    assert stat.S_IMODE(os.stat(names.directory).st_mode) == 0o700 and os.listdir(names.directory) == []
    assert [p for p in tmp_path.iterdir() if p.is_file()] == []  # (./var is the hub's default data dir)
