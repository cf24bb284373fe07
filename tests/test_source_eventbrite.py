"""eventbrite: attendees pulled through the manifest (continuation paging, changed_since, 429, 401) and
webhook deliveries that name an api_url, guarded by host and optional token, then re-fetched."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.sources import eventbrite
from connectors.sources.base import Notice, new_http
from connectors.sources.eventbrite.fake import EventbriteFake
from connectors.sources.eventbrite.fake_errors import error
from core.context import Context
from core.errors import AuthExpired, RateLimited, SignatureInvalid
from core.models import Connection, Lead, Person, RawRecord
from sync import connections, pipeline, pull
from tests import source_parity

FIXTURES = Path(eventbrite.__file__).parent / "fixtures"
NAME = "karrieretag"
HOOK = f"/hooks/eventbrite/{NAME}"
T0 = datetime(2026, 10, 1, 9, tzinfo=UTC)


@pytest.fixture
def fake(live_server: Any) -> EventbriteFake:
    api = EventbriteFake(page_size=3)
    api.public_url = live_server(api.app()).url
    api.seed_world(events=2, attendees_per_event=4, at=T0)
    return api


def connect(ctx: Context, fake: EventbriteFake, name: str = NAME, **secrets: str) -> None:
    settings = {"base_url": f"{fake.public_url}/v3", "start_date": "2026-01-01T00:00:00Z", "rate_limit_wait_s": 0.5}
    connections.create(ctx, name, "eventbrite", settings, {"private_token": fake.token, **secrets})


@pytest.fixture
def hub(ctx: Context, fake: EventbriteFake) -> Context:
    connect(ctx, fake)
    return ctx


class Hook:
    """Posts Eventbrite deliveries to the web role (the Flask test client: one live server per test is enough)."""

    def __init__(self, app: Any, fake: EventbriteFake, path: str = HOOK) -> None:
        self.client, self.fake, self.path = app.test_client(), fake, path

    def emit(self, action: str, api_url: str, times: int = 1) -> list[Any]:
        body = self.fake.delivery(action, api_url, "https://leadhub.example.org" + self.path)
        return [self.client.post(self.path, json=body) for _ in range(times)]


@pytest.fixture
def web(app: Any, fake: EventbriteFake) -> tuple[Context, Hook]:
    """The leadhub web role with the connection, and the way Eventbrite posts to it."""
    ctx: Context = app.extensions["leadhub"]
    connect(ctx, fake)
    return ctx, Hook(app, fake)


def count(ctx: Context, model: Any) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def process_all(ctx: Context, raw_ids: list[str]) -> list[str]:
    """Run the pipeline on raw records (and on the records a notice fetched); the lead ids made."""
    leads = []
    for raw_id in raw_ids:
        outcome = pipeline.process(ctx, raw_id)
        if outcome.status == "fetched":
            leads += process_all(ctx, list(outcome.raw_records))
        elif outcome.lead_id:
            leads.append(outcome.lead_id)
    return leads


def pending(ctx: Context) -> list[str]:
    with ctx.db.session() as session:
        return list(session.scalars(select(RawRecord.id).where(RawRecord.status == "pending")))


def connection(ctx: Context, name: str = NAME) -> Connection:
    with ctx.db.session() as session:
        row = session.scalar(select(Connection).where(Connection.name == name))
        assert row is not None
        return row


def lead_by_external_id(ctx: Context, external_id: str) -> Lead:
    with ctx.db.session() as session:
        lead = session.scalar(select(Lead).where(Lead.external_id == external_id))
        assert lead is not None
        return lead


# --- pull ---------------------------------------------------------------------------------------------


def test_full_sync_reads_every_attendee_of_every_event_to_the_last_page(
    hub: Context, fake: EventbriteFake, dispatcher: Any
) -> None:
    result = pull.run(hub, NAME)
    assert (result.records, result.stored) == (8, 8)
    attendee_calls = [p for p in fake.requests if "/attendees/" in p]
    assert len(attendee_calls) == 4  # 4 attendees per event at 3 a page: two pages each, nothing after the last
    assert sum("continuation=" in p for p in attendee_calls) == 2
    assert all("changed_since=2026-01-01T00%3A00%3A00Z" in p for p in attendee_calls)
    assert len(process_all(hub, dispatcher.raw)) == 8
    assert count(hub, Lead) == 8


def test_incremental_sync_resumes_from_the_saved_changed_cursor_and_stores_only_new_attendees(
    hub: Context, fake: EventbriteFake
) -> None:
    pull.run(hub, NAME)
    first_event = next(iter(fake.events))
    fake.add_attendees(first_event, 2, T0 + timedelta(days=3))
    fake.requests.clear()
    second = pull.run(hub, NAME)
    assert second.stored == 2
    calls = [p for p in fake.requests if f"/events/{first_event}/attendees/" in p]
    assert "changed_since=2026-10-01T09%3A03%3A00Z" in calls[0]  # the newest `changed` of the first sync
    assert count(hub, RawRecord) == 10


def test_a_changed_attendee_is_read_again_but_not_stored_twice(hub: Context, fake: EventbriteFake) -> None:
    pull.run(hub, NAME)
    attendee_id = next(iter(fake.attendees))
    fake.update_attendee(attendee_id, T0 + timedelta(days=5), status="Checked In", checked_in=True)
    second = pull.run(hub, NAME)
    assert second.records >= 1 and second.stored == 0 and second.skipped_known >= 1


def test_rate_limit_with_an_announced_wait_is_waited_out_then_the_sync_completes(
    hub: Context, fake: EventbriteFake
) -> None:
    fake.fail_next("rate_limit", count=1, retry_after_s=1)
    started = time.monotonic()
    result = pull.run(hub, NAME)
    assert time.monotonic() - started >= 1.0
    assert result.stored == 8
    assert connection(hub).status == "ok"


def test_rate_limit_without_a_wait_uses_the_configured_wait_then_completes(hub: Context, fake: EventbriteFake) -> None:
    fake.fail_next("rate_limit")  # HIT_RATE_LIMIT without Retry-After: rate_limit_wait_s=0.5 (the CDK adds 1 s)
    started = time.monotonic()
    result = pull.run(hub, NAME)
    assert time.monotonic() - started >= 0.5
    assert result.stored == 8


def test_invalid_auth_flags_the_connection_for_reauthorisation_without_crashing(
    hub: Context, fake: EventbriteFake
) -> None:
    fake.token = "rotated-by-the-organizer"
    with pytest.raises(AuthExpired):
        pull.run(hub, NAME)
    conn = connection(hub)
    assert conn.status == "needs_reauth"
    assert "INVALID_AUTH" in (conn.status_message or "")


def test_a_token_revoked_mid_sync_flags_the_connection_too(hub: Context, fake: EventbriteFake) -> None:
    fake.fail_next("invalid_auth")
    with pytest.raises(AuthExpired):
        pull.run(hub, NAME)
    assert connection(hub).status == "needs_reauth"


# --- mapping ------------------------------------------------------------------------------------------


def test_an_attendee_maps_to_person_event_attribution_and_answers(
    hub: Context, fake: EventbriteFake, dispatcher: Any
) -> None:
    pull.run(hub, NAME)
    process_all(hub, dispatcher.raw)
    source = fake.attendees["13000000001"]
    lead = lead_by_external_id(hub, "13000000001")
    with hub.db.session() as session:
        person = session.get(Person, lead.person_id)
        assert person is not None
    profile = source["profile"]
    assert (person.first_name, person.last_name, person.email) == (
        profile["first_name"],
        profile["last_name"],
        profile["email"],
    )
    assert person.phone == "+49" + profile["cell_phone"].replace(" ", "")[1:]
    assert (person.city, person.postcode, person.country) == ("Köln", "50667", "DE")
    assert lead.platform_lead_key == "13000000001" and lead.channel == "event"
    attribution = lead.data["attribution"]
    assert attribution["event_id"] == source["event_id"]
    assert attribution["event_name"] == "Karrieretag Pflege – Klinikum Nordstadt"
    assert attribution["ticket_class"] == "Fachbesucher (kostenlos)"
    assert attribution["utm_source"] == source["affiliate"] == "newsletter-nov"
    answers = {a["key"]: a for a in lead.data["answers"]}
    question = source["answers"][0]
    assert answers[question["question_id"]] == {
        "key": question["question_id"],
        "label": question["question"],
        "value": question["answer"],
    }
    assert answers["registration_status"]["value"] == "Attending"
    assert answers["checked_in"]["value"] is False
    assert answers["job_title"]["value"] == profile["job_title"]
    assert lead.captured_at == T0


def test_status_variants_are_kept_with_cancelled_and_refunded_named_as_such(
    hub: Context, fake: EventbriteFake, dispatcher: Any
) -> None:
    pull.run(hub, NAME)
    process_all(hub, dispatcher.raw)
    seen = {}
    for attendee_id, attendee in fake.attendees.items():
        answers = {a["key"]: a["value"] for a in lead_by_external_id(hub, attendee_id).data["answers"]}
        seen[(attendee["status"], attendee["cancelled"], attendee["refunded"])] = answers["registration_status"]
    assert seen == {
        ("Attending", False, False): "Attending",
        ("Checked In", False, False): "Checked In",
        ("Not Attending", True, False): "cancelled",
        ("Not Attending", False, True): "refunded",
    }


def test_pulled_and_webhook_fetched_records_have_the_same_shape(hub: Context, fake: EventbriteFake) -> None:
    pull.run(hub, NAME)
    view: Any = connections.find(hub, NAME)  # a ConnectionView, what the worker passes to fetch
    with hub.db.session() as session:
        pulled = {raw.external_id: json.loads(raw.body) for raw in session.scalars(select(RawRecord))}
    assert len(pulled) == len(fake.attendees) == 8
    http = new_http()
    for attendee_id, attendee in fake.attendees.items():
        [fetched] = eventbrite.fetch(view, Notice(attendee_id, ref=fake.attendee_url(attendee_id)), http)
        assert fetched == pulled[attendee_id]
        order = Notice(attendee["order_id"], ref=fake.order_url(attendee["order_id"]))
        assert eventbrite.fetch(view, order, http) == [pulled[attendee_id]]


def test_in_process_pull_stores_what_the_manifest_jinja_gives_for_every_attendee(hub: Context) -> None:
    """leadhub's pull swaps the manifest's Jinja AddFields for records.py (in_process.py); as Airbyte runs the
    manifest it must give the very same records."""
    pull.run(hub, NAME)
    pulled = source_parity.stored_records(hub)
    assert len(pulled) == 8 and source_parity.airbyte_records(hub, NAME) == pulled
    steps = pull.manifest_for(eventbrite)["definitions"]["attendees"]["transformations"]
    assert [step["type"] for step in steps] == ["CustomTransformation"]


def test_fetch_never_dials_a_host_other_than_the_configured_ones(hub: Context, fake: EventbriteFake) -> None:
    view: Any = connections.find(hub, NAME)  # a ConnectionView, what the worker passes to fetch
    fake.requests.clear()
    notice = Notice("9800000001", ref="https://evil.example.org/v3/orders/9800000001/")
    assert eventbrite.fetch(view, notice, new_http()) == []
    assert fake.requests == []


# --- push ---------------------------------------------------------------------------------------------


def test_eventbrite_verifies_no_endpoint_with_get(client: Any, app: Any, fake: EventbriteFake) -> None:
    connect(app.extensions["leadhub"], fake)
    assert client.get(HOOK).status_code == 405


def test_order_placed_is_stored_as_a_notice_then_fetched_into_one_lead_per_ticket(
    web: tuple[Context, Hook], fake: EventbriteFake
) -> None:
    ctx, hook = web
    order = fake.add_order(next(iter(fake.events)), tickets=2, at=T0 + timedelta(days=1))
    [response] = hook.emit("order.placed", fake.order_url(order["id"]))
    assert response.status_code == 202
    with ctx.db.session() as session:
        raw = session.get(RawRecord, response.get_json()["raw_record_id"])
        assert raw is not None and raw.kind == "notice"
        assert json.loads(raw.body)["api_url"] == fake.order_url(order["id"])
    leads = process_all(ctx, [response.get_json()["raw_record_id"]])
    assert len(leads) == 2
    assert any(f"/v3/orders/{order['id']}/?expand=attendees%2Cevent" in p for p in fake.requests)
    lead = lead_by_external_id(ctx, fake.attendees[list(fake.attendees)[-1]]["id"])
    assert lead.data["attribution"]["event_name"] == "Karrieretag Pflege – Klinikum Nordstadt"


def test_attendee_updated_fetches_that_attendee_with_its_event(web: tuple[Context, Hook], fake: EventbriteFake) -> None:
    ctx, hook = web
    [response] = hook.emit("attendee.updated", fake.attendee_url("13000000006"))
    assert response.status_code == 202
    [lead_id] = process_all(ctx, [response.get_json()["raw_record_id"]])
    lead = lead_by_external_id(ctx, "13000000006")
    assert lead.id == lead_id
    assert lead.data["attribution"]["event_name"] == "IT-Talents Meetup Leipzig"
    assert any("/attendees/13000000006/?expand=event" in p for p in fake.requests)


FOREIGN = [
    "https://evil.example.org/v3/orders/9800000001/",
    "http://169.254.169.254/v3/orders/9800000001/",
    "http://www.eventbriteapi.com/v3/orders/9800000001/",
    "https://www.eventbriteapi.com:8443/v3/orders/9800000001/",
    "https://leadhub@www.eventbriteapi.com/v3/orders/9800000001/",
    "http://127.0.0.1:1/v3/orders/9800000001/",
    "file:///etc/passwd",
]


def test_an_api_url_on_a_foreign_host_is_401_and_nothing_is_stored_or_fetched(
    web: tuple[Context, Hook], fake: EventbriteFake
) -> None:
    ctx, hook = web
    fake.requests.clear()
    for api_url in FOREIGN:
        [response] = hook.emit("order.placed", api_url)
        assert response.status_code == 401, api_url
        assert "api_url does not point at Eventbrite" in response.get_json()["detail"]
    assert count(ctx, RawRecord) == 0
    assert fake.requests == []


def test_an_api_url_on_eventbrites_host_is_fetched_from_the_configured_base_url(
    web: tuple[Context, Hook], fake: EventbriteFake
) -> None:
    ctx, hook = web
    [response] = hook.emit("order.placed", "https://www.eventbriteapi.com/v3/orders/9800000002/")
    assert response.status_code == 202
    assert len(process_all(ctx, [response.get_json()["raw_record_id"]])) == 1
    assert any(p.startswith("/v3/orders/9800000002/") for p in fake.requests)  # our base_url, not the payload's


def test_a_configured_webhook_token_must_come_with_the_request(
    app: Any, fake: EventbriteFake, live_server: Any
) -> None:
    ctx: Context = app.extensions["leadhub"]
    connect(ctx, fake, "messe", webhook_token="s3cret-path-token")
    base = live_server(app).url + "/hooks/eventbrite/messe"
    api_url = fake.order_url("9800000001")
    assert fake.emit(base, "order.placed", api_url)[0].status_code == 401
    assert fake.emit(base + "?token=guess", "order.placed", api_url)[0].status_code == 401
    assert count(ctx, RawRecord) == 0
    assert fake.emit(base + "?token=s3cret-path-token", "order.placed", api_url)[0].status_code == 202
    client = app.test_client()
    body = fake.delivery("order.placed", api_url, base)
    assert client.post(base, json=body, headers={"X-Leadhub-Token": "s3cret-path-token"}).status_code == 202


MALFORMED = [
    (b'{"api_url": "https://www.eventbriteapi.com/v3/orders/1/",', "Malformed JSON at line 1"),
    (b'{"config": {"action": "order.placed"}}', "api_url"),
    (b'{"api_url": "https://www.eventbriteapi.com/v3/orders/1/"}', "config"),
    (b"[]", "Not an Eventbrite webhook delivery"),
]


def test_a_malformed_delivery_is_400_and_stores_nothing(client: Any, app: Any, fake: EventbriteFake) -> None:
    ctx: Context = app.extensions["leadhub"]
    connect(ctx, fake)
    for body, detail in MALFORMED:
        response = client.post(HOOK, data=body, headers={"content-type": "application/json"})
        assert response.status_code == 400, body
        assert detail in response.get_json()["detail"]
    assert count(ctx, RawRecord) == 0


def test_duplicate_deliveries_over_http_are_one_lead(app: Any, fake: EventbriteFake, live_server: Any) -> None:
    ctx: Context = app.extensions["leadhub"]
    connect(ctx, fake)
    responses = fake.emit(live_server(app).url + HOOK, "order.placed", fake.order_url("9800000004"), times=3)
    assert [r.status_code for r in responses] == [202, 202, 202]
    leads = process_all(ctx, [r.json()["raw_record_id"] for r in responses])
    assert len(set(leads)) == 1
    assert count(ctx, Lead) == 1


def test_a_webhook_and_a_poll_for_the_same_attendee_are_one_lead(
    web: tuple[Context, Hook], fake: EventbriteFake
) -> None:
    ctx, hook = web
    [response] = hook.emit("attendee.updated", fake.attendee_url("13000000002"))
    process_all(ctx, [response.get_json()["raw_record_id"]])
    pull.run(ctx, NAME)
    process_all(ctx, pending(ctx))
    assert count(ctx, Lead) == 8
    with ctx.db.session() as session:
        assert session.scalar(select(func.count()).where(Lead.external_id == "13000000002")) == 1


def test_a_rate_limited_fetch_marks_the_connection_then_completes_after_the_wait(
    web: tuple[Context, Hook], fake: EventbriteFake
) -> None:
    ctx, hook = web
    [response] = hook.emit("order.placed", fake.order_url("9800000001"))
    raw_id = response.get_json()["raw_record_id"]
    fake.fail_next("rate_limit", retry_after_s=2)
    with pytest.raises(RateLimited) as caught:
        pipeline.process(ctx, raw_id)
    assert caught.value.retry_after_s == 2
    conn = connection(ctx)
    assert conn.status == "rate_limited" and "HIT_RATE_LIMIT" in (conn.status_message or "")
    assert conn.rate_limited_until is not None
    assert count(ctx, Lead) == 0 and pending(ctx) == [raw_id]  # the notice waits; nothing is lost
    assert len(process_all(ctx, [raw_id])) == 1
    assert connection(ctx).status == "ok"


def test_a_rate_limited_fetch_without_retry_after_waits_the_configured_time(
    web: tuple[Context, Hook], fake: EventbriteFake
) -> None:
    ctx, hook = web
    [response] = hook.emit("order.placed", fake.order_url("9800000001"))
    fake.fail_next("rate_limit")
    with pytest.raises(RateLimited) as caught:
        pipeline.process(ctx, response.get_json()["raw_record_id"])
    assert caught.value.retry_after_s == 0.5


def test_a_fetch_with_a_revoked_token_flags_needs_reauth(web: tuple[Context, Hook], fake: EventbriteFake) -> None:
    ctx, hook = web
    [response] = hook.emit("order.placed", fake.order_url("9800000001"))
    fake.token = "revoked"
    with pytest.raises(AuthExpired):
        pipeline.process(ctx, response.get_json()["raw_record_id"])
    assert connection(ctx).status == "needs_reauth"


def test_deliveries_about_events_are_acknowledged_and_ignored(web: tuple[Context, Hook], fake: EventbriteFake) -> None:
    ctx, hook = web
    event_id = next(iter(fake.events))
    fake.requests.clear()
    [response] = hook.emit("event.updated", f"{fake.public_url}/v3/events/{event_id}/")
    assert response.status_code == 202
    assert process_all(ctx, [response.get_json()["raw_record_id"]]) == []
    assert fake.requests == [] and pending(ctx) == []


def test_an_order_deleted_before_the_fetch_stores_nothing(web: tuple[Context, Hook], fake: EventbriteFake) -> None:
    ctx, hook = web
    [response] = hook.emit("order.placed", fake.order_url("9899999999"))
    assert response.status_code == 202
    assert process_all(ctx, [response.get_json()["raw_record_id"]]) == []
    assert pending(ctx) == []


def test_verify_outside_a_web_request_accepts_only_eventbrites_own_host() -> None:
    real = json.dumps({"api_url": "https://www.eventbriteapi.com/v3/orders/1/", "config": {"action": "order.placed"}})
    eventbrite.verify({}, real.encode(), {"private_token": "t"}, 300)
    sandbox = real.replace("https://www.eventbriteapi.com", "http://127.0.0.1:5000")
    with pytest.raises(SignatureInvalid, match="api_url does not point"):
        eventbrite.verify({}, sandbox.encode(), {"private_token": "t"}, 300)
    assert eventbrite.notices(real.encode()) == [Notice("1", "created", "https://www.eventbriteapi.com/v3/orders/1/")]


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_recorded_deliveries_name_an_order_an_attendee_or_nothing_to_fetch() -> None:
    def notice_of(name: str) -> Notice:
        [notice] = eventbrite.notices(json.dumps(fixture(name)).encode())
        return notice

    assert notice_of("webhook_order_placed.json") == Notice(
        "9800000001", "created", "https://www.eventbriteapi.com/v3/orders/9800000001/"
    )
    assert notice_of("webhook_attendee_updated.json").external_id == "13000000001"
    assert notice_of("webhook_event_updated.json").action == "ignored"
    with pytest.raises(SignatureInvalid):
        eventbrite.verify({}, json.dumps(fixture("webhook_spoofed_host.json")).encode(), {"private_token": "t"}, 300)


def test_the_fake_answers_with_the_recorded_error_envelopes(fake: EventbriteFake) -> None:
    with fake.app().test_request_context():
        assert json.loads(error("invalid_auth").get_data()) == fixture("error_401_invalid_auth.json")
        assert json.loads(error("rate_limit").get_data()) == fixture("error_429_hit_rate_limit.json")
    client = fake.app().test_client()
    answer = client.get("/v3/users/me/organizations/", headers={"Authorization": "Bearer wrong"})
    assert answer.status_code == 401 and answer.get_json()["error"] == "INVALID_AUTH"
    fake.fail_next("rate_limit", retry_after_s=7)
    limited = client.get("/v3/users/me/organizations/", headers={"Authorization": f"Bearer {fake.token}"})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.get_json()["error"] == "HIT_RATE_LIMIT"


def test_the_fake_pages_like_the_recording_and_refuses_a_foreign_continuation(fake: EventbriteFake) -> None:
    client = fake.app().test_client()
    auth = {"Authorization": f"Bearer {fake.token}"}
    event_id = next(iter(fake.events))
    first = client.get(f"/v3/events/{event_id}/attendees/?changed_since=2026-01-01T00:00:00Z", headers=auth)
    recorded = fixture("attendees_page1.json")["pagination"]
    assert set(first.get_json()["pagination"]) == set(recorded)
    token = first.get_json()["pagination"]["continuation"]
    other_filter = client.get(f"/v3/events/{event_id}/attendees/?continuation={token}", headers=auth)
    assert other_filter.status_code == 400 and other_filter.get_json()["error"] == "ARGUMENTS_ERROR"
    last = client.get(
        f"/v3/events/{event_id}/attendees/?changed_since=2026-01-01T00:00:00Z&continuation={token}", headers=auth
    ).get_json()["pagination"]
    assert last["has_more_items"] is False and "continuation" not in last
    assert set(last) == set(fixture("attendees_page2_last.json")["pagination"])
