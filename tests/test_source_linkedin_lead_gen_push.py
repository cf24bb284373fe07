"""linkedin_lead_gen pushes: the fake validates our endpoint, posts signed LEAD_ACTIONs, and we fetch or delete."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.sources import linkedin_lead_gen
from connectors.sources.base import Notice, new_http
from connectors.sources.linkedin_lead_gen.fake import FakeLinkedIn
from core.context import Context
from core.errors import AuthExpired, PayloadMalformed, RateLimited, SignatureInvalid
from core.models import Connection, Event, Lead, Person, RawRecord
from sync import connections, pipeline, pull
from tests.test_source_linkedin_lead_gen import FAKE_TODAY, NAME, days_ago_ms, make_connection

FIXTURES = Path(linkedin_lead_gen.__file__).parent / "fixtures"
VECTOR_SECRET = "test_client_secret"  # sources.md §8
VECTOR_CODE = "f9a2c6c2-1a9d-4b8e-9d2a-2b7c7a1f0e11"
VECTOR_ANSWER = "ae12d4858cfbf5237c976a9c63d917cc9644aae2fa785b7aa1e912ec9af14185"
VECTOR_PREFIXED = "99e5cf15700d1dc40b8830e7015fb31f29b300f495960ebe522596acc54fa434"
VECTOR_RAW = "728c841e2220deb94d820f9549c6efe11d732e566b6d0480dedd756f0d676ac6"


@dataclass
class Hub:
    fake: FakeLinkedIn
    api_url: str
    hook: str


@pytest.fixture
def hub(app: Any, ctx: Context, live_server: Any) -> Hub:
    """The fake LinkedIn and leadhub's web role, each on a real port; the connection points at the fake."""
    fake = FakeLinkedIn(today=FAKE_TODAY)
    api = live_server(fake.app())
    web = live_server(app)
    make_connection(ctx, api.url)
    return Hub(fake, api.url, f"{web.url}/hooks/linkedin_lead_gen/{NAME}")


def count(ctx: Context, model: Any) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def run_pipeline(ctx: Context, raw_ids: list[str]) -> list[pipeline.Outcome]:
    """Process raw records and every record they lead to, as the worker would."""
    outcomes, queue = [], list(raw_ids)
    while queue:
        outcome = pipeline.process(ctx, queue.pop(0))
        outcomes.append(outcome)
        queue.extend(outcome.raw_records)
    return outcomes


def accepted(deliveries: list[Any]) -> list[str]:
    assert deliveries and all(d.status == 202 for d in deliveries), [(d.status, d.answer) for d in deliveries]
    return [d.answer["raw_record_id"] for d in deliveries]


def test_endpoint_validation_answers_the_challenge_with_the_hmac_in_time(hub: Hub) -> None:
    assert hub.fake.subscribe(hub.hook) is True
    assert hub.fake.revalidate(hub.hook) is True  # LinkedIn repeats it every two hours
    assert hub.fake.webhooks[hub.hook].history == ["passed", "passed"]


def test_challenge_answer_matches_the_published_vector(ctx: Context, client: Any) -> None:
    connections.create(ctx, "li-vector", "linkedin_lead_gen", {}, {"access_token": "t", "client_secret": VECTOR_SECRET})
    response = client.get(f"/hooks/linkedin_lead_gen/li-vector?challengeCode={VECTOR_CODE}&applicationId=77")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == {"challengeCode": VECTOR_CODE, "challengeResponse": VECTOR_ANSWER}
    assert client.get("/hooks/linkedin_lead_gen/li-vector").status_code == 400


def test_three_failed_validations_block_the_endpoint(ctx: Context, hub: Hub) -> None:
    hub.fake.client_secret = "rotated-on-linkedin-but-not-here"
    assert [hub.fake.subscribe(hub.hook), hub.fake.revalidate(hub.hook), hub.fake.revalidate(hub.hook)] == [False] * 3
    assert hub.fake.webhooks[hub.hook].blocked
    hub.fake.add_leads(1, at_ms=days_ago_ms(0.01))
    assert hub.fake.notify(hub.hook, hub.fake.leads[0]["id"]) == []  # LinkedIn sends nothing to a blocked URL


@pytest.mark.parametrize(
    ("prefix", "signature", "valid"),
    [
        ("hmacsha256=", VECTOR_PREFIXED, True),
        ("", VECTOR_RAW, True),
        ("hmacsha256=", VECTOR_RAW, False),
        ("", VECTOR_PREFIXED, False),
    ],
    ids=["prefixed", "raw-body", "raw-signature-prefixed-setting", "prefixed-signature-raw-setting"],
)
def test_signature_vectors_verify_under_the_configured_prefix(prefix: str, signature: str, valid: bool) -> None:
    body = (FIXTURES / "lead_action_created.json").read_bytes()
    secrets, settings = {"client_secret": VECTOR_SECRET}, {"signature_prefix": prefix}
    headers = {"X-LI-Signature": signature}
    if valid:
        linkedin_lead_gen.verify(headers, body, secrets, 300, settings=settings)
    else:
        with pytest.raises(SignatureInvalid, match="does not match"):
            linkedin_lead_gen.verify(headers, body, secrets, 300, settings=settings)


def test_created_notification_is_stored_then_fetched_into_a_lead(ctx: Context, hub: Hub) -> None:
    raw = hub.fake.add_leads(1, at_ms=days_ago_ms(0.01), version=2)[0]
    hub.fake.subscribe(hub.hook)
    raw_ids = accepted(hub.fake.notify(hub.hook, raw["id"]))
    first, second = run_pipeline(ctx, raw_ids)
    assert first.status == "fetched" and second.status == "created"
    assert any(p.startswith(f"/rest/leadFormResponses/{raw['id']}?fields=") for p in hub.fake.requests)
    with ctx.db.session() as session:
        lead = session.get(Lead, second.lead_id)
        assert lead is not None
        assert lead.platform_lead_key == f"urn:li:leadGenFormResponse:{raw['id']}"
        assert lead.data["attribution"]["utm_campaign"] == "pflege-herbst-2026"
        assert {c["platform_key"] for c in lead.data["consents"]} == {"linkedin_consent_0", "linkedin_consent_1"}


def test_pushed_and_pulled_records_have_the_same_shape(ctx: Context, hub: Hub, dispatcher: Any) -> None:
    raw = hub.fake.add_leads(1, at_ms=days_ago_ms(1))[0]
    pull.run(ctx, NAME)
    with ctx.db.session() as session:
        pulled = session.scalar(select(RawRecord.body).where(RawRecord.kind == "record"))
    view = connections.find(ctx, NAME)
    (fetched,) = linkedin_lead_gen.fetch(view, Notice(f"urn:li:leadGenFormResponse:{raw['id']}"), new_http())
    assert fetched == json.loads(pulled or b"{}")


def test_raw_body_signatures_are_accepted_when_the_connection_says_so(ctx: Context, hub: Hub) -> None:
    make_connection(ctx, hub.api_url, name="li-raw", signature_prefix="")
    hook = hub.hook.replace(f"/{NAME}", "/li-raw")
    hub.fake.add_leads(1, at_ms=days_ago_ms(0.01))
    hub.fake.subscribe(hook)
    assert [d.status for d in hub.fake.notify(hook, hub.fake.leads[0]["id"], prefix="")] == [202]
    assert [d.status for d in hub.fake.notify(hook, hub.fake.leads[0]["id"])] == [401]


def test_wrong_or_missing_signature_is_401_and_stores_nothing(ctx: Context, hub: Hub, client: Any) -> None:
    hub.fake.add_leads(1, at_ms=days_ago_ms(0.01))
    hub.fake.subscribe(hub.hook)
    forged = hmac.new(b"not-the-client-secret", b"hmacsha256={}", hashlib.sha256).hexdigest()
    assert [d.status for d in hub.fake.notify(hub.hook, hub.fake.leads[0]["id"], signature=forged)] == [401]
    body = (FIXTURES / "lead_action_created.json").read_bytes()
    response = client.post(f"/hooks/linkedin_lead_gen/{NAME}", data=body, content_type="application/json")
    assert response.status_code == 401 and "Missing X-LI-Signature" in response.get_json()["detail"]
    assert count(ctx, RawRecord) == 0


def test_malformed_notification_is_400(ctx: Context, hub: Hub, client: Any) -> None:
    body = b'{"type":"LEAD_ACTION","leadGenFormResponse":"not-a-urn","leadAction":"CREATED"}'
    headers = {"X-LI-Signature": linkedin_lead_gen.signature.sign(body, hub.fake.client_secret)}
    response = client.post(f"/hooks/linkedin_lead_gen/{NAME}", data=body, headers=headers)
    assert response.status_code == 400 and "leadGenFormResponse" in response.get_json()["detail"]
    with pytest.raises(PayloadMalformed, match="leadAction"):
        linkedin_lead_gen.notices(b'{"type":"LEAD_ACTION","leadGenFormResponse":"urn:li:leadGenFormResponse:1"}')
    assert count(ctx, RawRecord) == 0


def test_a_deleted_notification_names_the_lead_by_its_urn() -> None:
    (notice,) = linkedin_lead_gen.notices((FIXTURES / "lead_action_deleted.json").read_bytes())
    assert notice == Notice("urn:li:leadGenFormResponse:3c4f1a52-9b7e-4d21-8e60-5f2a7c9d0b13-2", "deleted")


def test_other_notification_types_are_acknowledged_and_ignored(ctx: Context, hub: Hub, client: Any) -> None:
    body = b'{"type":"LEAD_FORM_UPDATE","leadGenForm":"urn:li:leadGenForm:7430001","occurredAt":1795600000000}'
    headers = {"X-LI-Signature": linkedin_lead_gen.signature.sign(body, hub.fake.client_secret)}
    response = client.post(f"/hooks/linkedin_lead_gen/{NAME}", data=body, headers=headers)
    assert response.status_code == 202
    assert [o.raw_records for o in run_pipeline(ctx, [response.get_json()["raw_record_id"]])] == [()]
    assert not any(p.startswith("/rest/") for p in hub.fake.requests)


def test_duplicate_deliveries_make_one_lead(ctx: Context, hub: Hub) -> None:
    raw = hub.fake.add_leads(1, at_ms=days_ago_ms(0.01))[0]
    hub.fake.subscribe(hub.hook)
    raw_ids = accepted(hub.fake.notify(hub.hook, raw["id"], copies=3))
    outcomes = run_pipeline(ctx, raw_ids)
    assert [o.status for o in outcomes].count("created") == 1
    assert count(ctx, Lead) == 1


def test_webhook_then_poll_for_the_same_lead_is_one_lead(ctx: Context, hub: Hub, dispatcher: Any) -> None:
    raw = hub.fake.add_leads(1, at_ms=days_ago_ms(0.01))[0]
    hub.fake.subscribe(hub.hook)
    run_pipeline(ctx, accepted(hub.fake.notify(hub.hook, raw["id"])))
    result = pull.run(ctx, NAME)
    assert (result.records, result.stored, result.skipped_known) == (1, 0, 1)
    assert count(ctx, Lead) == 1


def test_poll_then_webhook_for_the_same_lead_fetches_nothing(ctx: Context, hub: Hub, dispatcher: Any) -> None:
    raw = hub.fake.add_leads(1, at_ms=days_ago_ms(0.01))[0]
    pull.run(ctx, NAME)
    run_pipeline(ctx, list(dispatcher.raw))
    hub.fake.subscribe(hub.hook)
    hub.fake.requests.clear()
    outcomes = run_pipeline(ctx, accepted(hub.fake.notify(hub.hook, raw["id"])))
    assert [o.status for o in outcomes] == ["fetched"] and outcomes[0].raw_records == ()
    assert not any(p.startswith("/rest/leadFormResponses/") for p in hub.fake.requests)
    assert count(ctx, Lead) == 1


def test_deleted_notification_anonymises_the_lead_and_emits_lead_deleted(ctx: Context, hub: Hub) -> None:
    raw = hub.fake.add_leads(1, at_ms=days_ago_ms(0.01))[0]
    hub.fake.subscribe(hub.hook)
    created = run_pipeline(ctx, accepted(hub.fake.notify(hub.hook, raw["id"])))[-1]
    hub.fake.delete_lead(raw["id"])  # the member or advertiser deleted it on LinkedIn
    deleted = run_pipeline(ctx, accepted(hub.fake.notify(hub.hook, raw["id"], action="DELETED", copies=2)))
    assert [o.status for o in deleted] == ["fetched", "fetched"]
    urn = f"urn:li:leadGenFormResponse:{raw['id']}"
    with ctx.db.session() as session:
        lead = session.get(Lead, created.lead_id)
        assert lead is not None
        assert lead.data == {"deleted": True, "source": "linkedin_lead_gen", "external_id": urn}
        person = session.get(Person, lead.person_id)
        assert person is not None and (person.email, person.first_name, person.phone) == (None, None, None)
        events = session.scalars(select(Event).where(Event.type == "lead.deleted")).all()
    assert len(events) == 1 and events[0].subject_id == created.lead_id  # the duplicate DELETED changes nothing


def test_fetch_waits_out_throttling_then_completes(ctx: Context, hub: Hub) -> None:
    raw = hub.fake.add_leads(1, at_ms=days_ago_ms(0.01))[0]
    hub.fake.fail_next("throttle_app", 2)
    records = linkedin_lead_gen.fetch(connections.find(ctx, NAME), Notice(f"urn:li:x:{raw['id']}"), new_http())
    assert [r["urn"] for r in records] == [f"urn:li:leadGenFormResponse:{raw['id']}"]


def test_fetch_that_stays_throttled_marks_the_connection_rate_limited(ctx: Context, hub: Hub) -> None:
    raw = hub.fake.add_leads(1, at_ms=days_ago_ms(0.01))[0]
    hub.fake.subscribe(hub.hook)
    raw_ids = accepted(hub.fake.notify(hub.hook, raw["id"]))
    hub.fake.fail_next("throttle_member", 10)
    with pytest.raises(RateLimited, match="MEMBER DAY"):
        pipeline.process(ctx, raw_ids[0])
    with ctx.db.session() as session:
        assert session.scalar(select(Connection.status).where(Connection.name == NAME)) == "rate_limited"
        assert session.scalar(select(RawRecord.status).where(RawRecord.id == raw_ids[0])) == "pending"


def test_fetch_with_a_revoked_token_flags_the_connection_for_reauthorisation(ctx: Context, hub: Hub) -> None:
    raw = hub.fake.add_leads(1, at_ms=days_ago_ms(0.01))[0]
    hub.fake.subscribe(hub.hook)
    raw_ids = accepted(hub.fake.notify(hub.hook, raw["id"]))
    hub.fake.expire("fake-access-token", how="revoked")
    with pytest.raises(AuthExpired, match="65601"):
        pipeline.process(ctx, raw_ids[0])
    with ctx.db.session() as session:
        assert session.scalar(select(Connection.status).where(Connection.name == NAME)) == "needs_reauth"


def test_fetch_refreshes_an_expired_token_once_and_completes(ctx: Context, hub: Hub) -> None:
    fake = hub.fake
    raw = fake.add_leads(1, at_ms=days_ago_ms(0.01))[0]
    fake.expire("fake-access-token")
    secrets = {
        "access_token": "fake-access-token",
        "client_secret": fake.client_secret,
        "client_id": fake.client_id,
        "refresh_token": fake.refresh_token,
    }
    make_connection(ctx, hub.api_url, name="li-oauth", secrets=secrets)
    notice = Notice(f"urn:li:leadGenFormResponse:{raw['id']}")
    assert len(linkedin_lead_gen.fetch(connections.find(ctx, "li-oauth"), notice, new_http())) == 1
    assert fake.refreshes == 1


def test_a_lead_gone_from_linkedin_before_the_fetch_stores_nothing(ctx: Context, hub: Hub) -> None:
    raw = hub.fake.add_leads(1, at_ms=days_ago_ms(0.01))[0]
    hub.fake.subscribe(hub.hook)
    raw_ids = accepted(hub.fake.notify(hub.hook, raw["id"]))
    hub.fake.delete_lead(raw["id"])
    assert [o.status for o in run_pipeline(ctx, raw_ids)] == ["fetched"]
    assert count(ctx, Lead) == 0
