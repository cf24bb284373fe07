"""The HubSpot sink against its fake over real HTTP, through the delivery engine (issue 5 acceptance)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

import connectors.sinks.hubspot as hubspot
from connectors.sinks.hubspot.fake import SANDBOX_TOKEN, HubSpotFake
from connectors.sources.form_webhook import samples
from core.context import Context
from core.errors import AuthExpired
from core.models import Connection, Delivery, RemoteRecord
from sync import connections, delivery
from tests import sink_helpers
from tests.sink_helpers import again, capture, form_connection, make_due, wait_s


@pytest.fixture
def fake() -> HubSpotFake:
    return HubSpotFake()


@pytest.fixture
def crm(ctx: Context, live_server: Any, fake: HubSpotFake) -> str:
    """A HubSpot connection against the fake, its properties set up; returns the fake's URL."""
    return sink_helpers.hubspot_connection(ctx, live_server(fake.app()).url)


@pytest.fixture
def source(ctx: Context) -> str:
    return form_connection(ctx)


def deliveries(ctx: Context) -> list[Delivery]:
    return sink_helpers.deliveries(ctx, "hubspot")


def set_settings(ctx: Context, **values: Any) -> None:
    sink_helpers.set_settings(ctx, "crm", **values)


def test_a_qualified_lead_becomes_a_contact_with_attribution_and_its_id_is_kept(
    ctx: Context, source: str, crm: str, fake: HubSpotFake
) -> None:
    capture(ctx, source, samples.submission(1))
    [first] = deliveries(ctx)
    assert delivery.attempt(ctx, first.id) == "delivered"
    [contact] = fake.contacts()
    assert contact["email"] == samples.submission(1)["fields"]["email"]
    assert contact["lifecyclestage"] == "lead"
    assert contact["leadhub_channel"] == "landing_page" and contact["leadhub_form_id"] == "karriere-kontakt"
    assert contact["leadhub_utm_source"] == "newsletter" and contact["leadhub_person_id"].startswith("per_")
    with ctx.db.session() as session:
        remote = session.scalar(select(RemoteRecord))
    assert (remote.subject_type, remote.remote_id, remote.remote_kind) == ("person", contact["id"], "contact")


def test_the_same_person_again_updates_the_contact_by_its_id_instead_of_adding_one(
    ctx: Context, source: str, crm: str, fake: HubSpotFake
) -> None:
    capture(ctx, source, samples.submission(2))
    delivery.attempt(ctx, deliveries(ctx)[0].id)
    capture(ctx, source, again(2, "again"))
    second = deliveries(ctx)[1]
    assert delivery.attempt(ctx, second.id) == "delivered"
    assert len(fake.contacts()) == 1
    [update_call] = fake.calls("/batch/update")
    assert update_call["inputs"][0]["id"] == fake.contacts()[0]["id"]


def test_two_leads_of_one_person_in_one_batch_become_one_input_and_one_contact(
    ctx: Context, source: str, crm: str, fake: HubSpotFake
) -> None:
    capture(ctx, source, samples.submission(3))
    capture(ctx, source, again(3, "twice"))
    capture(ctx, source, samples.submission(4))
    first, *_ = deliveries(ctx)
    assert delivery.attempt(ctx, first.id) == "delivered"
    assert {d.status for d in deliveries(ctx)} == {"delivered"}
    [upsert] = fake.calls("/batch/upsert")
    assert len(upsert["inputs"]) == 2  # HubSpot answers 400 "Duplicate IDs found in batch input" otherwise
    assert len(fake.contacts()) == 2


def test_an_invalid_property_value_is_dead_lettered_in_hubspots_words(
    ctx: Context, source: str, crm: str, fake: HubSpotFake
) -> None:
    set_settings(ctx, lifecycle_stage="prospect")
    capture(ctx, source, samples.submission(5))
    [row] = deliveries(ctx)
    assert delivery.attempt(ctx, row.id) == "dead"
    [row] = deliveries(ctx)
    assert "lifecyclestage (from the connection setting lifecycle_stage)" in row.last_error
    assert "prospect was not one of the allowed options" in row.last_error and "INVALID_OPTION" in row.last_error
    assert fake.contacts() == []


@pytest.mark.parametrize("multi_status", [True, False], ids=["per-input-207", "whole-batch-400"])
def test_one_bad_email_in_a_batch_dead_letters_only_its_own_delivery(
    ctx: Context, source: str, crm: str, fake: HubSpotFake, multi_status: bool
) -> None:
    fake.multi_status = multi_status
    bad = samples.submission(6)
    bad["fields"]["email"] = "kim.6@example.lcom"  # a TLD HubSpot does not know
    for submission in (samples.submission(7), bad, samples.submission(8)):
        capture(ctx, source, submission)
    delivery.attempt(ctx, deliveries(ctx)[0].id)
    status = {d.subject_id: (d.status, d.last_error) for d in deliveries(ctx)}
    dead = [error for state, error in status.values() if state == "dead"]
    assert sorted(state for state, _ in status.values()) == ["dead", "delivered", "delivered"]
    assert "email (from person.email): Email address kim.6@example.lcom is invalid (INVALID_EMAIL)" in dead[0]
    assert len(fake.contacts()) == 2


def test_a_429_with_retry_after_is_honoured(ctx: Context, source: str, crm: str, fake: HubSpotFake) -> None:
    capture(ctx, source, samples.submission(9))
    fake.fail_next(429, headers={"Retry-After": "30"})
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    [row] = deliveries(ctx)
    assert 28 <= wait_s(row) <= 31 and "TEN_SECONDLY_ROLLING" in row.last_error


def test_the_rolling_limit_without_retry_after_waits_for_hubspots_interval(
    ctx: Context, source: str, crm: str, fake: HubSpotFake
) -> None:
    capture(ctx, source, samples.submission(10))
    fake.interval_max = 0  # every request is over the 10-second limit
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    assert 8 <= wait_s(deliveries(ctx)[0]) <= 11  # X-HubSpot-RateLimit-Interval-Milliseconds: 10000


def test_the_daily_limit_waits_until_midnight_in_the_portals_time_zone(
    ctx: Context, source: str, crm: str, fake: HubSpotFake
) -> None:
    capture(ctx, source, samples.submission(11))
    fake.daily_max = 0
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert abs(wait_s(deliveries(ctx)[0]) - (midnight - now).total_seconds()) < 30
    assert "DAILY" in deliveries(ctx)[0].last_error


def test_a_ten_minute_outage_ends_and_every_lead_arrives(
    ctx: Context, source: str, crm: str, fake: HubSpotFake
) -> None:
    ctx.settings.retry_schedule = [0.0, 5.0, 300.0, 1800.0]  # seconds after each failed attempt, as in production
    for n in range(12, 17):
        capture(ctx, source, samples.submission(n))
    fake.outage(600)
    for _ in range(5):
        waiting = [d for d in deliveries(ctx) if d.status == "pending"]
        if not waiting:
            break
        fake.advance(max(0.0, max(wait_s(d) for d in waiting)))  # the time the engine would have waited
        make_due(ctx)
        delivery.attempt(ctx, waiting[0].id)
    rows = deliveries(ctx)
    assert {d.status for d in rows} == {"delivered"} and {d.attempt_count for d in rows} == {4}
    assert len(fake.contacts()) == 5


def test_a_create_that_timed_out_is_retried_without_a_second_contact(
    ctx: Context, source: str, crm: str, fake: HubSpotFake
) -> None:
    capture(ctx, source, samples.submission(17))
    fake.delay_next(4.0)  # HubSpot writes the contact, then answers after our 3 s timeout
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    assert "did not answer within 3 s" in deliveries(ctx)[0].last_error
    assert len(fake.contacts()) == 1
    make_due(ctx)
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    [contact] = fake.contacts()
    assert deliveries(ctx)[0].remote_id == contact["id"]


def test_revoked_credentials_flag_the_connection_and_a_new_token_resumes_it(
    ctx: Context, source: str, crm: str, fake: HubSpotFake
) -> None:
    capture(ctx, source, samples.submission(18))
    fake.revoke()
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    with ctx.db.session() as session:
        conn = session.scalar(select(Connection).where(Connection.name == "crm"))
    assert conn.status == "needs_reauth" and "set-secret crm access_token" in conn.status_message
    fake.grant("pat-na1-new", {"crm.objects.contacts.read", "crm.objects.contacts.write"})
    connections.update_secrets(ctx, "crm", {"access_token": "pat-na1-new"})
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"


def test_a_create_race_answered_409_takes_the_existing_contact(
    ctx: Context, source: str, crm: str, fake: HubSpotFake
) -> None:
    capture(ctx, source, samples.submission(19))
    fake.race_next()  # another integration creates the email between HubSpot's lookup and its create
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    [contact] = fake.contacts()
    assert contact["firstname"] == samples.submission(19)["fields"]["first_name"]
    assert deliveries(ctx)[0].remote_id == contact["id"]


def test_upserting_by_the_person_id_property_adopts_the_contact_that_has_the_email(
    ctx: Context, source: str, crm: str, fake: HubSpotFake
) -> None:
    set_settings(ctx, id_property="leadhub_person_id")
    existing = fake.portal.create({"email": samples.submission(20)["fields"]["email"]}, fake.now())
    capture(ctx, source, samples.submission(20))
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    [contact] = fake.contacts()
    assert contact["id"] == existing["id"] and contact["leadhub_person_id"].startswith("per_")
    assert fake.calls("/batch/upsert")[0]["inputs"][0]["idProperty"] == "leadhub_person_id"


def test_a_contact_deleted_in_hubspot_is_upserted_again_and_its_new_id_kept(
    ctx: Context, source: str, crm: str, fake: HubSpotFake
) -> None:
    capture(ctx, source, samples.submission(21))
    delivery.attempt(ctx, deliveries(ctx)[0].id)
    fake.portal.contacts.clear()  # a recruiter deleted the contact
    capture(ctx, source, again(21, "after-delete"))
    assert delivery.attempt(ctx, deliveries(ctx)[1].id) == "delivered"
    [contact] = fake.contacts()
    with ctx.db.session() as session:
        assert session.scalar(select(RemoteRecord.remote_id)) == contact["id"]


def test_a_lead_without_email_is_upserted_by_the_person_id(
    ctx: Context, source: str, crm: str, fake: HubSpotFake
) -> None:
    submission = samples.submission(22)
    del submission["fields"]["email"]
    capture(ctx, source, submission)
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    [contact] = fake.contacts()
    assert "email" not in contact and contact["phone"].startswith("+49")
    assert fake.calls("/batch/upsert")[0]["inputs"][0]["idProperty"] == "leadhub_person_id"


def test_without_setup_the_first_send_creates_the_properties_and_delivers(
    ctx: Context, source: str, live_server: Any, fake: HubSpotFake
) -> None:
    url = live_server(fake.app()).url
    connections.create(ctx, "crm", "hubspot", {"base_url": url}, {"access_token": SANDBOX_TOKEN})
    capture(ctx, source, samples.submission(23))
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    assert "leadhub_channel" in fake.portal.properties and fake.portal.properties["leadhub_person_id"]["hasUniqueValue"]
    assert fake.contacts()[0]["leadhub_channel"] == "landing_page"


def test_setup_creates_leadhubs_properties_once(ctx: Context, crm: str, fake: HubSpotFake) -> None:
    created_before = [n for n in fake.portal.properties if n.startswith("leadhub_")]
    assert len(created_before) == 19 and fake.portal.properties["leadhub_channel"]["groupName"] == "leadhub"
    assert hubspot.setup(connections.find(ctx, "crm"), requests.Session()) == []


def test_check_without_the_schema_scope_says_which_scope_is_missing(
    ctx: Context, live_server: Any, fake: HubSpotFake
) -> None:
    fake.grant("pat-na1-narrow", {"crm.objects.contacts.write", "crm.schemas.contacts.read"})
    url = live_server(fake.app()).url
    connections.create(ctx, "crm", "hubspot", {"base_url": url}, {"access_token": "pat-na1-narrow"})
    with pytest.raises(AuthExpired, match=r"crm\.schemas\.contacts\.write"):
        hubspot.check(connections.find(ctx, "crm"), requests.Session())
