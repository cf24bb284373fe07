"""tiktok_leads push: signed lead notices → inbox → fetch by lead id from the sandbox fake → one lead."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from connectors.sources.tiktok_leads import notices
from connectors.sources.tiktok_leads.fake import TikTokFake
from connectors.sources.tiktok_leads.fake_webhooks import WebhookScheme
from core.context import Context
from core.errors import AuthExpired, PayloadMalformed, RateLimited
from core.models import Connection, Lead, RawRecord
from sync import connections, pipeline, pull

APP_SECRET = "sandbox-app-secret"
URL = "/hooks/tiktok_leads/tiktok"
FIXTURES = Path(__file__).resolve().parent.parent / "connectors" / "sources" / "tiktok_leads" / "fixtures"


@dataclass
class Hub:
    ctx: Context
    fake: TikTokFake
    api: str


@pytest.fixture
def hub(app: Any, live_server: Any) -> Hub:
    ctx: Context = app.extensions["leadhub"]
    fake = TikTokFake(forms=1, rate_limit_window_s=0.3)
    api = live_server(fake.app()).url
    settings = {"base_url": api, "advertiser_id": fake.advertiser_id, "rate_limit_wait_s": 0.3, "page_size": 2}
    connections.create(ctx, "tiktok", "tiktok_leads", settings, {"access_token": fake.token, "app_secret": APP_SECRET})
    return Hub(ctx, fake, api)


def post(client: Any, hub: Hub, lead_id: str, secret: str = APP_SECRET, url: str = URL, **scheme: Any) -> Any:
    headers, body = hub.fake.webhook(lead_id, secret, WebhookScheme(**scheme))
    return client.post(url, data=body, headers=headers)


def complete(ctx: Context, raw_id: str) -> list[pipeline.Outcome]:
    """Run a notice through the pipeline, then the records it fetched."""
    fetched = pipeline.process(ctx, raw_id)
    return [pipeline.process(ctx, child) for child in fetched.raw_records]


def count(ctx: Context, model: Any) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def connection(ctx: Context, name: str = "tiktok") -> Connection:
    with ctx.db.session() as session:
        conn = session.scalar(select(Connection).where(Connection.name == name))
        assert conn is not None
        return conn


def test_get_on_the_webhook_url_is_405_because_tiktok_verifies_no_endpoint(client: Any, hub: Hub) -> None:
    response = client.get(URL + "?challenge=1")
    assert response.status_code == 405


def test_signed_notice_is_stored_then_fetched_by_lead_id_into_one_lead(client: Any, hub: Hub) -> None:
    (lead,) = hub.fake.add_leads(1)
    response = post(client, hub, lead["lead_id"])
    assert response.status_code == 202
    (outcome,) = complete(hub.ctx, response.get_json()["raw_record_id"])
    assert outcome.status == "created"
    assert any(f"/lead/get/?advertiser_id={hub.fake.advertiser_id}&lead_ids=" in p for p in hub.fake.requests)
    with hub.ctx.db.session() as session:
        stored = session.get(Lead, outcome.lead_id)
    assert stored is not None
    assert stored.external_id == stored.platform_lead_key == lead["lead_id"]
    assert stored.channel == "tiktok" and stored.data["attribution"]["account_id"] == hub.fake.advertiser_id
    assert stored.data["person"]["email"] == lead["field_data"][1]["field_value"]
    assert len(stored.data["answers"]) == 2 and len(stored.data["consents"]) == 1


@pytest.mark.parametrize("fault", ["wrong secret", "tampered body", "missing header"])
def test_bad_signature_is_401_and_stores_nothing(client: Any, hub: Hub, fault: str) -> None:
    (lead,) = hub.fake.add_leads(1)
    headers, body = hub.fake.webhook(lead["lead_id"], "not-the-app-secret" if fault == "wrong secret" else APP_SECRET)
    if fault == "tampered body":
        body = body.replace(b'"page_id":"', b'"page_id":"9')
    if fault == "missing header":
        headers.pop("TikTok-Signature")
    response = client.post(URL, data=body, headers=headers)
    assert response.status_code == 401
    assert count(hub.ctx, RawRecord) == 0


def test_signature_header_and_scheme_come_from_the_connection_settings(client: Any, hub: Hub) -> None:
    settings = {
        "base_url": hub.api,
        "advertiser_id": hub.fake.advertiser_id,
        "signature_header": "X-Lead-Signature",
        "signature_scheme": "timestamped",
    }
    connections.create(hub.ctx, "tiktok-ts", "tiktok_leads", settings, {"access_token": "t", "app_secret": APP_SECRET})
    (lead,) = hub.fake.add_leads(1)
    url = "/hooks/tiktok_leads/tiktok-ts"
    assert (
        post(client, hub, lead["lead_id"], url=url, header="X-Lead-Signature", scheme="timestamped").status_code == 202
    )
    assert post(client, hub, lead["lead_id"], url=url).status_code == 401  # default header and raw scheme
    hub.fake.advance(-301)  # signed five minutes ago: outside the tolerance
    refused = post(client, hub, lead["lead_id"], url=url, header="X-Lead-Signature", scheme="timestamped")
    assert refused.status_code == 401 and "tolerance" in refused.get_json()["detail"]


@pytest.mark.parametrize(
    "fixture", ["webhook_flat.json", "webhook_nested.json", "webhook_content.json", "webhook_flat_numeric_ids.json"]
)
def test_every_plausible_payload_shape_names_the_lead(fixture: str) -> None:
    (notice,) = notices((FIXTURES / fixture).read_bytes())
    assert (notice.external_id, notice.action) == ("7400000000000000001", "created")
    assert '"advertiser_id": "7001234567890123456"' in (notice.ref or "")


@pytest.mark.parametrize(
    "body", [b'{"event":"lead.create"}', b'{"lead_id": 7.4e18}', b"not json"], ids=["no id", "float id", "not json"]
)
def test_body_without_a_usable_lead_id_is_malformed(body: bytes) -> None:
    with pytest.raises(PayloadMalformed):
        notices(body)


def test_duplicate_deliveries_make_one_lead(hub: Hub, app: Any, live_server: Any) -> None:
    (lead,) = hub.fake.add_leads(1)
    receiver = live_server(app).url + URL
    statuses = hub.fake.emit_webhooks(receiver, [lead["lead_id"]], APP_SECRET, duplicates=2)
    assert statuses == [202, 202, 202]
    with hub.ctx.db.session() as session:
        raw_ids = list(session.scalars(select(RawRecord.id).where(RawRecord.kind == "notice")))
    outcomes = [outcome.status for raw_id in raw_ids for outcome in complete(hub.ctx, raw_id)]
    assert outcomes.count("created") == 1 and set(outcomes) <= {"created", "duplicate"}
    assert count(hub.ctx, Lead) == 1


@pytest.fixture
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    from airbyte_cdk.sources.declarative.async_job.job_orchestrator import AsyncJobOrchestrator

    root.handlers[:], root.level = handlers, level
    monkeypatch.setattr(AsyncJobOrchestrator, "_WAIT_TIME_BETWEEN_STATUS_UPDATE_IN_SECONDS", 0.02)


def test_webhook_and_pull_of_the_same_leads_make_one_lead_each(client: Any, hub: Hub, quick_polls: None) -> None:
    first, second = hub.fake.add_leads(2)
    complete(hub.ctx, post(client, hub, first["lead_id"]).get_json()["raw_record_id"])  # webhook, then pull
    result = pull.run(hub.ctx, "tiktok")
    assert (result.stored, result.skipped_known) == (1, 1)
    with hub.ctx.db.session() as session:
        pulled = session.scalar(select(RawRecord.id).where(RawRecord.external_id == second["lead_id"]))
    assert pulled is not None
    pipeline.process(hub.ctx, pulled)
    notice = post(client, hub, second["lead_id"]).get_json()["raw_record_id"]  # pull, then webhook
    assert complete(hub.ctx, notice) == []  # known lead: nothing fetched
    assert count(hub.ctx, Lead) == 2


def test_throttled_fetch_marks_the_connection_and_completes_after_the_wait(client: Any, hub: Hub) -> None:
    (lead,) = hub.fake.add_leads(1)
    raw_id = post(client, hub, lead["lead_id"]).get_json()["raw_record_id"]
    hub.fake.fail_next("rate_limit", on="/lead/get/")
    with pytest.raises(RateLimited) as raised:
        pipeline.process(hub.ctx, raw_id)
    assert raised.value.retry_after_s == 0.3 and "40100" in str(raised.value)
    conn = connection(hub.ctx)
    assert conn.status == "rate_limited" and conn.rate_limited_until is not None
    time.sleep(0.3)  # what the sweeper waits before it hands the notice back
    (outcome,) = complete(hub.ctx, raw_id)
    assert outcome.status == "created" and connection(hub.ctx).status == "ok"


def test_expired_token_on_fetch_flags_the_connection_for_reauthorisation(client: Any, hub: Hub) -> None:
    (lead,) = hub.fake.add_leads(1)
    raw_id = post(client, hub, lead["lead_id"]).get_json()["raw_record_id"]
    hub.fake.fail_next("token_expired")
    with pytest.raises(AuthExpired, match="40102"):
        pipeline.process(hub.ctx, raw_id)
    assert connection(hub.ctx).status == "needs_reauth"
    assert count(hub.ctx, Lead) == 0


def test_test_lead_is_found_on_the_last_page_of_the_mock_endpoint(client: Any, hub: Hub) -> None:
    page_id = hub.fake.forms[0].page_id
    created = [
        requests.post(
            f"{hub.api}/open_api/v1.3/page/lead/mock/create/",
            json={"advertiser_id": hub.fake.advertiser_id, "page_id": page_id},
            headers={"Access-Token": hub.fake.token},
            timeout=5,
        ).json()["data"]
        for _ in range(3)
    ]
    last = created[-1]["lead_id"]
    (outcome,) = complete(hub.ctx, post(client, hub, last).get_json()["raw_record_id"])
    assert any("/page/lead/mock/get/" in p and "page=2" in p for p in hub.fake.requests)  # page_size 2: page 2
    with hub.ctx.db.session() as session:
        stored = session.get(Lead, outcome.lead_id)
    assert stored is not None
    assert stored.external_id == last and stored.is_test is True


def test_an_unknown_signature_scheme_in_the_settings_is_401_not_a_crash(client: Any, hub: Hub) -> None:
    settings = {"base_url": hub.api, "advertiser_id": hub.fake.advertiser_id, "signature_scheme": "md5"}
    connections.create(hub.ctx, "tiktok-md5", "tiktok_leads", settings, {"access_token": "t", "app_secret": APP_SECRET})
    (lead,) = hub.fake.add_leads(1)
    response = post(client, hub, lead["lead_id"], url="/hooks/tiktok_leads/tiktok-md5")
    assert response.status_code == 401 and "signature_scheme" in response.get_json()["detail"]
    assert count(hub.ctx, RawRecord) == 0
