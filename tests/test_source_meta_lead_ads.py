"""meta_lead_ads pull: the manifest against the Graph fake over real HTTP, through sync/pull.py, on both backends."""

from __future__ import annotations

import copy
import functools
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from connectors.sources import meta_lead_ads
from connectors.sources.meta_lead_ads import record
from connectors.sources.meta_lead_ads.fake import SANDBOX_TOKEN, MetaFake
from connectors.sources.meta_lead_ads.fake_seed import PAGE_ID
from core.context import Context
from core.errors import AuthExpired
from core.models import Connection, Lead, RawRecord, SyncState
from mappings.apply import apply_mapping
from sync import connections, pipeline, pull
from tests import source_parity

SCALE = 0.005  # one announced minute lasts 0.3 s on the fake and in the connector
FORM = "551200000000101"  # 14 seeded leads
SEEDED = 24


@pytest.fixture
def schema_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test speed only: the CDK parses its 300 kB component schema for every source object (about 0.6 s, twice
    per pull); it is constant, so tests parse it once."""
    from airbyte_cdk.sources.declarative import concurrent_declarative_source as cds

    monkeypatch.setattr(cds, "get_declarative_component_schema", _cached_schema(cds.get_declarative_component_schema))


@functools.cache
def _cached_schema(load: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    schema = load()
    return lambda: copy.deepcopy(schema)


@pytest.fixture
def fake(ctx: Context, live_server: Any, schema_once: None) -> MetaFake:
    api = MetaFake(time_scale=SCALE)
    server = live_server(api.app())
    settings = {
        "base_url": server.url,
        "page_id": PAGE_ID,
        "start_date": "2025-12-01T00:00:00Z",
        "page_size": 5,
        "wait_scale": SCALE,
    }
    secrets = {"access_token": SANDBOX_TOKEN, "app_secret": "sandbox-app-secret", "verify_token": "sandbox-verify"}
    connections.create(ctx, "meta", "meta_lead_ads", settings, secrets)
    return api


def count(ctx: Context, model: Any, *where: Any) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def unix(graph_time: str) -> int:
    return int(datetime.strptime(graph_time, "%Y-%m-%dT%H:%M:%S%z").timestamp())


def lead_requests(api: MetaFake, form: str = FORM) -> list[dict[str, str]]:
    return [args for method, path, args in api.requests if path.endswith(f"/{form}/leads")]


def stored_records(ctx: Context) -> dict[str, dict[str, Any]]:
    with ctx.db.session() as session:
        return {raw.external_id: json.loads(raw.body) for raw in session.scalars(select(RawRecord))}


def test_full_sync_reads_every_lead_of_every_form_and_saves_state(
    ctx: Context, fake: MetaFake, dispatcher: Any
) -> None:
    result = pull.run(ctx, "meta")
    assert (result.records, result.stored) == (SEEDED, SEEDED)
    assert set(stored_records(ctx)) == set(fake.leads)
    with ctx.db.session() as session:
        state = session.scalar(select(SyncState.state).where(SyncState.stream == "leads"))
    cursors = {
        s["partition"]["form_id"]: s["cursor"]["created_time"] for s in state["stream"]["stream_state"]["states"]
    }
    newest = max(lead["created_time"] for lead in fake.leads.values() if lead["form_id"] == FORM)
    assert cursors[FORM] == newest and newest.endswith("+0000")
    for raw_id in dispatcher.raw:
        assert pipeline.process(ctx, raw_id).status == "created"
    assert count(ctx, Lead) == SEEDED


def test_requests_follow_paging_next_to_the_last_page_with_fields_limit_filtering_and_bearer(
    ctx: Context, fake: MetaFake
) -> None:
    pull.run(ctx, "meta")
    pages = lead_requests(fake)
    assert len(pages) == 3  # 14 leads, 5 per page: the third page has no paging.next
    assert [bool(p.get("after")) for p in pages] == [False, True, True]
    assert all(p == {**pages[0], "after": p["after"]} for p in pages[1:])  # exactly paging.next, nothing added
    first = pages[0]
    assert first["fields"] == record.LEAD_FIELDS and first["limit"] == "5"
    assert json.loads(first["filtering"]) == [
        {"field": "time_created", "operator": "GREATER_THAN", "value": 1764547200}
    ]
    assert "access_token" not in first  # sent as Authorization: Bearer
    proof = hmac.new(b"sandbox-app-secret", SANDBOX_TOKEN.encode(), hashlib.sha256).hexdigest()
    assert first["appsecret_proof"] == proof
    forms_call = next(args for _, path, args in fake.requests if path.endswith("/leadgen_forms"))
    assert {"questions", "legal_content", "tracking_parameters"} <= set(forms_call["fields"].split(","))
    assert len([r for r in stored_records(ctx).values() if r["form_id"] == FORM]) == 14


def test_incremental_sync_from_saved_state_reads_only_new_leads(ctx: Context, fake: MetaFake) -> None:
    pull.run(ctx, "meta")
    newest = max(lead["created_time"] for lead in fake.leads.values() if lead["form_id"] == FORM)
    fake.requests.clear()
    added = [fake.add_lead(FORM, created=int(time.time()) - 60 * i, notify=False)["id"] for i in (1, 2)]
    second = pull.run(ctx, "meta")
    # The 10-minute lookback re-reads the newest lead of each of the 3 forms; known ids are not stored again.
    assert (second.records, second.stored, second.skipped_known) == (2 + 3, 2, 3)
    assert count(ctx, RawRecord) == SEEDED + 2
    assert set(added) <= set(stored_records(ctx))
    (rule,) = json.loads(lead_requests(fake)[0]["filtering"])
    assert rule == {"field": "time_created", "operator": "GREATER_THAN", "value": unix(newest) - 600}


@pytest.mark.parametrize("code", [80005, 32, 4, 17, 613])
def test_rate_limit_waits_as_announced_then_completes(ctx: Context, fake: MetaFake, code: int) -> None:
    announced = 2 if code in (32, 80005) else 1  # only the BUC codes announce a wait; the others mean "a minute"
    fake.fail_next("rate_limit", code=code, wait_minutes=announced, on="leads")
    started = time.monotonic()
    result = pull.run(ctx, "meta")
    assert result.stored == SEEDED
    assert time.monotonic() - started >= announced * 60 * SCALE
    assert {c for _, c in fake.rejections} == {code}
    rejected = [path for path, _ in fake.rejections]
    assert len(rejected) == len(set(rejected))  # no request was retried before the announced time
    with ctx.db.session() as session:
        assert session.scalar(select(Connection.status).where(Connection.name == "meta")) == "ok"


def test_please_reduce_the_amount_of_data_is_retried(ctx: Context, fake: MetaFake) -> None:
    fake.fail_next("reduce_data", count=2, on="leads")
    assert pull.run(ctx, "meta").stored == SEEDED
    assert [c for _, c in fake.rejections] == [1, 1]


@pytest.mark.parametrize(
    ("kind", "says"), [("token_expired", "Session has expired"), ("session_invalid", "Session key invalid")]
)
def test_expired_token_flags_the_connection_for_reauthorisation(
    ctx: Context, fake: MetaFake, kind: str, says: str
) -> None:
    fake.fail_next(kind, on="leads")
    with pytest.raises(AuthExpired, match=says):
        pull.run(ctx, "meta")
    with ctx.db.session() as session:
        conn = session.scalar(select(Connection).where(Connection.name == "meta"))
    assert conn.status == "needs_reauth"
    assert conn.status_message.startswith("Re-authorise this connection") and says in conn.status_message
    assert count(ctx, RawRecord) == 0  # forms were read, no lead was: nothing half-stored


def test_pulled_lead_maps_person_attribution_answers_and_consents(
    ctx: Context, fake: MetaFake, dispatcher: Any
) -> None:
    pull.run(ctx, "meta")
    for raw_id in dispatcher.raw:
        pipeline.process(ctx, raw_id)
    source = fake.leads["900000000000003"]
    with ctx.db.session() as session:
        lead = session.scalar(select(Lead).where(Lead.external_id == "900000000000003"))
    data = lead.data
    assert lead.platform_lead_key == "900000000000003" and lead.channel == "meta"
    assert data["person"]["first_name"] == "Anna-Lena" and data["person"]["last_name"] == "Łukasik"
    assert data["person"]["phone"] == "+491708031986" and data["person"]["postcode"] == "53111"
    assert data["attribution"] == {
        "channel": "meta",
        "campaign_id": "238500000000101",
        "campaign_name": "Pflege Frühjahr 2026 – NRW",
        "ad_set_id": source["adset_id"],
        "ad_set_name": source["adset_name"],
        "ad_id": source["ad_id"],
        "ad_name": source["ad_name"],
        "form_id": FORM,
        "form_name": "Pflegefachkraft (m/w/d) – Schnellbewerbung",
        "utm_source": "facebook",
        "utm_medium": "paid_social",
        "utm_campaign": "pflege-fruehjahr-2026",
    }
    assert [a["key"] for a in data["answers"]] == ["berufserfahrung", "schichtbereitschaft"]
    assert data["answers"][0]["label"] == "Wie viele Jahre Berufserfahrung haben Sie?"
    consents = {c["platform_key"]: c for c in data["consents"]}  # renamed by the Meta consent-purpose defaults
    assert {c["purpose"] for c in data["consents"]} == {"recruiting_contact", "talent_pool"}
    assert consents["kontakt_bewerbung"]["granted"] is True
    assert consents["kontakt_bewerbung"]["text"].startswith("Ich willige ein")
    expected = {r["checkbox_key"]: r["is_checked"] == "1" for r in source["custom_disclaimer_responses"]}
    assert {k: c["granted"] for k, c in consents.items()} == expected
    assert consents["talentpool"]["given_at"].startswith("2026-01-02T14:03:52")
    organic = next(lead for lead in fake.leads.values() if lead["is_organic"] and lead["form_id"] == FORM)
    raw = stored_records(ctx)[organic["id"]]
    assert "ad_id" not in raw and raw["utm"]["utm_medium"] == "organic"  # the form's own says paid_social


def test_manifest_flattening_equals_the_python_flattening_for_every_seeded_lead(ctx: Context, fake: MetaFake) -> None:
    """Three paths, one record: the manifest's Jinja (as Airbyte runs it), leadhub's in-process pull (which swaps
    that Jinja for record.flatten) and record.flatten after a webhook fetch."""
    pull.run(ctx, "meta")
    client = fake.app().test_client()
    auth = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}
    pulled = stored_records(ctx)
    as_airbyte = source_parity.airbyte_records(ctx, "meta")
    assert set(as_airbyte) == set(pulled) and len(pulled) == SEEDED
    for lead_id, lead in fake.leads.items():
        form = client.get(f"/v22.0/{lead['form_id']}?fields={record.FORM_FIELDS}", headers=auth).get_json()
        graph_lead = client.get(f"/v22.0/{lead_id}?fields={record.LEAD_FIELDS}", headers=auth).get_json()
        assert pulled[lead_id] == record.flatten(graph_lead, form) == as_airbyte[lead_id], lead_id


def test_in_process_pull_runs_python_in_place_of_the_manifest_jinja() -> None:
    manifest = pull.manifest_for(meta_lead_ads)
    assert manifest["definitions"]["flatten"]["class_name"].endswith("meta_lead_ads.in_process.Flatten")
    assert "AddFields" in meta_lead_ads.MANIFEST.read_text()  # the file itself keeps its Jinja for Airbyte


def test_source_config_reads_settings_and_secrets(ctx: Context, fake: MetaFake) -> None:
    config = meta_lead_ads.source_config(connections.find(ctx, "meta"))
    assert config["page_id"] == PAGE_ID and config["api_version"] == "v22.0"
    assert config["access_token"] == SANDBOX_TOKEN and config["app_secret"] == "sandbox-app-secret"
    assert urlsplit(config["base_url"]).hostname == "127.0.0.1"


def test_the_default_mapping_turns_the_lead_fixture_into_a_canonical_lead() -> None:
    fixtures = Path(meta_lead_ads.__file__).parent / "fixtures"
    lead, form = (json.loads((fixtures / name).read_text(encoding="utf-8")) for name in ("lead.json", "form.json"))
    canonical = apply_mapping(meta_lead_ads.default_mapping(), record.flatten(lead, form), source="meta_lead_ads")
    assert (canonical.external_id, canonical.platform_lead_key) == ("900000000000003", "900000000000003")
    assert canonical.captured_at == datetime(2026, 1, 2, 14, 3, 52, tzinfo=UTC)
    assert (canonical.person.first_name, canonical.person.last_name) == ("Anna-Lena", "Łukasik")
    assert canonical.person.email == "anna-lena.lukasik.3@example.org" and canonical.person.phone == "+491708031986"
    assert canonical.attribution.ad_set_name == "Pflege 25–55 Köln/Bonn" and canonical.attribution.channel == "meta"
    assert [(a.key, a.value) for a in canonical.answers] == [
        ("berufserfahrung", lead["field_data"][6]["values"][0]),
        ("schichtbereitschaft", lead["field_data"][7]["values"][0]),
    ]
    assert [(c.purpose, c.granted, c.legal_basis) for c in canonical.consents] == [
        ("kontakt_bewerbung", True, "consent"),
        ("talentpool", lead["custom_disclaimer_responses"][1]["is_checked"] == "1", "consent"),
    ]
