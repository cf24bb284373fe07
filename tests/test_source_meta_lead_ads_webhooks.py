"""meta_lead_ads push: hub.challenge handshake, X-Hub-Signature-256, leadgen notices fetched from the Graph fake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from connectors.sources import meta_lead_ads
from connectors.sources.meta_lead_ads import fake_webhooks, graph, signature
from connectors.sources.meta_lead_ads.fake import SANDBOX_TOKEN, MetaFake
from connectors.sources.meta_lead_ads.fake_seed import PAGE_ID
from core.context import Context
from core.errors import AuthExpired, PayloadMalformed, RateLimited, SourceError
from core.models import Connection, Lead, RawRecord
from sync import connections, pipeline, pull
from tests.test_source_meta_lead_ads import schema_once  # noqa: F401 - a fixture

pytestmark = pytest.mark.usefixtures("schema_once")
FIXTURES = Path(meta_lead_ads.__file__).parent / "fixtures"
APP_SECRET = "test_app_secret"  # the secret of the HMAC test vector in sources.md §8
VERIFY_TOKEN = "verify-4711"
SCALE = 0.005


@pytest.fixture
def fake(ctx: Context, live_server: Any) -> MetaFake:
    api = MetaFake(time_scale=SCALE)
    settings = {
        "base_url": live_server(api.app()).url,
        "page_id": PAGE_ID,
        "start_date": "2025-12-01T00:00:00Z",
        "wait_scale": SCALE,
    }
    secrets = {"access_token": SANDBOX_TOKEN, "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN}
    connections.create(ctx, "meta", "meta_lead_ads", settings, secrets)
    return api


@pytest.fixture
def hook(app: Flask, fake: MetaFake, live_server: Any) -> str:
    """The connection's callback URL on a real port, as Meta would call it."""
    return f"{live_server(app).url}/hooks/meta_lead_ads/meta"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def notices(ctx: Context) -> list[RawRecord]:
    with ctx.db.session() as session:
        return list(
            session.scalars(select(RawRecord).where(RawRecord.kind == "notice").order_by(RawRecord.received_at))
        )


def process_all(ctx: Context) -> list[str]:
    """Run every pending notice and the records it fetched; returns the outcomes' statuses."""
    statuses = []
    for raw in notices(ctx):
        outcome = pipeline.process(ctx, raw.id)
        statuses += [pipeline.process(ctx, child).status for child in outcome.raw_records]
    return statuses


def lead_count(ctx: Context) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Lead)) or 0)


def test_handshake_echoes_hub_challenge_when_the_verify_token_matches(hook: str, fake: MetaFake) -> None:
    fake.subscribe(hook, VERIFY_TOKEN, APP_SECRET)  # raises unless the bare challenge comes back
    answer = fake_webhooks.handshake(hook, VERIFY_TOKEN, challenge="1158201444")
    assert (answer.status_code, answer.text, answer.headers["Content-Type"]) == (
        200,
        "1158201444",
        "text/plain; charset=utf-8",
    )


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.challenge": "42", "hub.verify_token": "guess"},
        {"hub.mode": "unsubscribe", "hub.challenge": "42", "hub.verify_token": VERIFY_TOKEN},
        {"hub.challenge": "42"},
    ],
)
def test_handshake_with_a_wrong_token_or_mode_is_403(client: Any, fake: MetaFake, params: dict[str, str]) -> None:
    answer = client.get("/hooks/meta_lead_ads/meta", query_string=params)
    assert answer.status_code == 403 and b"42" not in answer.data


def test_the_sources_md_test_vector_signature_is_accepted(client: Any, ctx: Context, fake: MetaFake) -> None:
    body = fixture("leadgen_webhook.json")
    vector = "sha256=92dba5c2421cf05d7cd87225cabba260fac7237c47c2750962e51ea73a0ef523"
    assert len(body) == 210 and signature.sign(body, APP_SECRET) == vector
    answer = client.post(
        "/hooks/meta_lead_ads/meta",
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": vector},
    )
    assert answer.status_code == 202
    (raw,) = notices(ctx)
    assert raw.body == body and raw.status == "pending"
    assert [n.external_id for n in meta_lead_ads.notices(raw.body)] == ["444"]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Hub-Signature-256": signature.sign(b"{}", APP_SECRET)},  # signs other bytes
        {"X-Hub-Signature-256": signature.sign(fixture("leadgen_webhook.json"), "another-app")},
        {"X-Hub-Signature": "sha1=5639b480ca80a6dd4ec80f5a7acf1882d4da21ec"},  # legacy SHA-1 only
        {},
    ],
    ids=["other-body", "other-secret", "sha1-only", "unsigned"],
)
def test_invalid_signatures_are_401_and_store_nothing(client: Any, ctx: Context, fake: MetaFake, headers: Any) -> None:
    answer = client.post(
        "/hooks/meta_lead_ads/meta",
        data=fixture("leadgen_webhook.json"),
        headers={"Content-Type": "application/json", **headers},
    )
    assert answer.status_code == 401 and "X-Hub-Signature-256" in answer.get_json()["detail"]
    assert notices(ctx) == []


def test_a_new_lead_arrives_by_webhook_and_is_fetched_mapped_and_stored(
    ctx: Context, fake: MetaFake, hook: str
) -> None:
    fake.subscribe(hook, VERIFY_TOKEN, APP_SECRET)
    lead = fake.add_lead("551200000000202")  # the fake posts a signed leadgen delivery to the hub
    assert fake.subscriptions[0].statuses == [202]
    assert process_all(ctx) == ["created"]
    with ctx.db.session() as session:
        stored = session.scalar(select(Lead).where(Lead.external_id == lead["id"]))
    assert stored.platform_lead_key == lead["id"] and stored.channel == "meta"
    assert stored.data["attribution"]["form_name"] == "IT-Talente Q1 – Rückrufwunsch"
    assert stored.data["attribution"]["utm_campaign"] == "it-talente-q1"
    assert (
        stored.data["person"]["full_name"] == dict((f["name"], f["values"][0]) for f in lead["field_data"])["full_name"]
    )
    assert [(c["purpose"], c["platform_key"]) for c in stored.data["consents"]] == [("recruiting_contact", "rueckruf")]
    graph_calls = [path for _, path, _ in fake.requests]
    assert graph_calls == [f"/v22.0/{lead['id']}", "/v22.0/551200000000202"]


def test_duplicate_deliveries_of_one_lead_make_one_lead(ctx: Context, fake: MetaFake, hook: str) -> None:
    fake.subscribe(hook, VERIFY_TOKEN, APP_SECRET, copies=3)  # at-least-once: Meta retries for up to 36 h
    fake.add_lead()
    assert len(notices(ctx)) == 3
    assert sorted(process_all(ctx)) in (["created"], ["created", "duplicate"], ["created", "duplicate", "duplicate"])
    assert lead_count(ctx) == 1


def test_numeric_ids_and_ad_id_zero_of_an_organic_lead_are_accepted(ctx: Context, fake: MetaFake, hook: str) -> None:
    fake.subscribe(hook, VERIFY_TOKEN, APP_SECRET, numeric_ids=True)
    lead = fake.add_lead(organic=True)
    (raw,) = notices(ctx)
    value = json.loads(raw.body)["entry"][0]["changes"][0]["value"]
    assert value["leadgen_id"] == int(lead["id"]) and value["ad_id"] == 0
    assert [n.external_id for n in meta_lead_ads.notices(raw.body)] == [lead["id"]]
    assert process_all(ctx) == ["created"]
    with ctx.db.session() as session:
        stored = session.scalar(select(Lead))
    assert stored.external_id == lead["id"] and "ad_id" not in stored.data["attribution"]
    assert stored.data["attribution"]["utm_medium"] == "organic"  # although the form's tracking says paid_social


def test_the_numeric_fixture_names_the_lead_as_a_string() -> None:
    (notice,) = meta_lead_ads.notices(fixture("leadgen_webhook_numeric_ids.json"))
    assert (notice.external_id, notice.action) == ("900000000000003", "created")


def test_unknown_change_fields_are_acknowledged_not_errors(client: Any, ctx: Context, fake: MetaFake) -> None:
    for name in ("feed_webhook.json", "leadgen_webhook_batch.json"):
        body = fixture(name)
        answer = client.post(
            "/hooks/meta_lead_ads/meta",
            data=body,
            headers={"Content-Type": "application/json", **fake_webhooks.signed_headers(body, APP_SECRET)},
        )
        assert answer.status_code == 202
    batch = meta_lead_ads.notices(fixture("leadgen_webhook_batch.json"))
    assert [(n.external_id, n.action) for n in batch if n.action == "created"] == [
        ("900000000000004", "created"),
        ("900000000000005", "created"),
    ]
    assert process_all(ctx) == ["created", "created"]
    with ctx.db.session() as session:
        assert set(session.scalars(select(RawRecord.status).where(RawRecord.kind == "notice"))) == {"processed"}


def test_a_delivery_without_leadgen_id_is_400(client: Any, ctx: Context, fake: MetaFake) -> None:
    body = fixture("leadgen_webhook_without_id.json")
    answer = client.post(
        "/hooks/meta_lead_ads/meta",
        data=body,
        headers={"Content-Type": "application/json", **fake_webhooks.signed_headers(body, APP_SECRET)},
    )
    assert answer.status_code == 400 and "leadgen_id" in answer.get_json()["detail"]
    assert notices(ctx) == []
    with pytest.raises(PayloadMalformed, match="Malformed JSON"):
        meta_lead_ads.notices(b'{"object":')


def test_webhook_and_poll_for_the_same_lead_make_one_lead(
    ctx: Context, fake: MetaFake, hook: str, dispatcher: Any
) -> None:
    fake.subscribe(hook, VERIFY_TOKEN, APP_SECRET)
    lead = fake.add_lead()
    assert process_all(ctx) == ["created"]
    result = pull.run(ctx, "meta")
    assert result.skipped_known == 1 and result.stored == 24  # the seeded leads are new, the pushed one is not
    for raw_id in dispatcher.raw:
        pipeline.process(ctx, raw_id)
    with ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Lead).where(Lead.external_id == lead["id"])) == 1


def test_a_test_lead_created_through_the_api_arrives_by_webhook(ctx: Context, fake: MetaFake, hook: str) -> None:
    fake.subscribe(hook, VERIFY_TOKEN, APP_SECRET)
    field_data = [
        {"name": "first_name", "values": ["Søren"]},
        {"name": "last_name", "values": ["Brandt"]},
        {"name": "email", "values": ["soeren.brandt@example.org"]},
        {"name": "schichtbereitschaft", "values": ["Nachtdienst"]},
    ]
    answer = (
        fake.app()
        .test_client()
        .post(
            "/v22.0/551200000000101/test_leads",
            data={
                "field_data": json.dumps(field_data),
                "custom_disclaimer_responses": json.dumps([{"checkbox_key": "kontakt_bewerbung", "is_checked": "1"}]),
            },
            headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"},
        )
    )
    assert answer.status_code == 200
    assert process_all(ctx) == ["created"]
    with ctx.db.session() as session:
        stored = session.scalar(select(Lead))
    assert stored.external_id == answer.get_json()["id"]
    assert stored.data["person"]["email"] == "soeren.brandt@example.org"
    assert stored.data["answers"] == [
        {"key": "schichtbereitschaft", "label": "Welche Schichten passen zu Ihnen?", "value": "Nachtdienst"}
    ]
    assert stored.data["consents"][0]["granted"] is True and "attribution" in stored.data


def test_a_rate_limited_fetch_marks_the_connection_and_keeps_the_notice(
    ctx: Context, fake: MetaFake, hook: str
) -> None:
    fake.subscribe(hook, VERIFY_TOKEN, APP_SECRET)
    fake.add_lead()
    fake.fail_next("rate_limit", code=80005, wait_minutes=17)
    (raw,) = notices(ctx)
    with pytest.raises(RateLimited) as caught:
        pipeline.process(ctx, raw.id)
    assert caught.value.retry_after_s == pytest.approx(17 * 60 * SCALE)
    with ctx.db.session() as session:
        conn = session.scalar(select(Connection).where(Connection.name == "meta"))
        assert session.get(RawRecord, raw.id).status == "pending"
    assert conn.status == "rate_limited" and "80005" in conn.status_message


@pytest.mark.parametrize("kind", ["token_expired", "session_invalid"])
def test_a_fetch_with_an_expired_token_flags_needs_reauth(ctx: Context, fake: MetaFake, hook: str, kind: str) -> None:
    fake.subscribe(hook, VERIFY_TOKEN, APP_SECRET)
    fake.add_lead()
    fake.fail_next(kind)
    with pytest.raises(AuthExpired, match="new Page access token"):
        pipeline.process(ctx, notices(ctx)[0].id)
    with ctx.db.session() as session:
        assert session.scalar(select(Connection.status).where(Connection.name == "meta")) == "needs_reauth"


def test_a_lead_meta_cannot_show_is_a_source_error_and_the_notice_waits(
    ctx: Context, fake: MetaFake, hook: str
) -> None:
    fake.subscribe(hook, VERIFY_TOKEN, APP_SECRET)
    fake.add_lead()
    fake.fail_next("unknown_id")
    with pytest.raises(SourceError, match="100/33"):
        pipeline.process(ctx, notices(ctx)[0].id)
    with ctx.db.session() as session:
        assert session.get(RawRecord, notices(ctx)[0].id).status == "pending"


@pytest.mark.parametrize(
    ("name", "error", "retry_after_s"),
    [
        ("error_rate_limit_80005.json", RateLimited, 17 * 60),
        ("error_rate_limit_4.json", RateLimited, 60),
        ("error_token_expired_190.json", AuthExpired, None),
        ("error_session_invalid_102.json", AuthExpired, None),
        ("error_reduce_data_500.json", SourceError, None),
        ("error_unknown_id_100.json", SourceError, None),
    ],
)
def test_graph_error_envelopes_become_typed_errors(name: str, error: type, retry_after_s: float | None) -> None:
    import requests

    document = json.loads(fixture(name))
    response = requests.Response()
    response.status_code, response._content = document["status"], json.dumps(document["body"]).encode()
    response.headers.update(document["headers"])
    typed = graph.error_for(response)
    assert type(typed) is error and str(document["body"]["error"]["code"]) in str(typed)
    if retry_after_s is not None:
        assert isinstance(typed, RateLimited) and typed.retry_after_s == retry_after_s
