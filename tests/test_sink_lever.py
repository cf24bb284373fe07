"""The Lever sink against its fake over real HTTP, through the delivery engine (issue 5 acceptance)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlalchemy import delete, select, update

import connectors.sinks.lever as lever
from connectors.sinks.lever.fake import SANDBOX_KEY, LeverFake
from connectors.sources.form_webhook import samples
from core.context import Context
from core.errors import AuthExpired, ConfigurationError
from core.models import Connection, Delivery, DeliveryAttempt, RemoteRecord
from sync import connections, conversion, delivery
from tests import sink_helpers
from tests.sink_helpers import again, capture, form_connection, make_due, wait_s

PDF = b"%PDF-1.4\n% invented CV for tests\n"
POSTING = "2200dd68-757d-4ed2-a9b7-e1856196b513"


@pytest.fixture
def fake() -> LeverFake:
    found = LeverFake()
    found.account.add_posting("Pflegefachkraft (m/w/d)", POSTING)
    return found


@pytest.fixture
def ats(ctx: Context, live_server: Any, fake: LeverFake) -> str:
    url: str = live_server(fake.app()).url
    settings = {"base_url": url, "perform_as": fake.perform_as, "timeout_s": 2.0, "posting_ids": {"J-7": POSTING}}
    connections.create(ctx, "lever", "lever", settings, {"api_key": SANDBOX_KEY})
    return url


@pytest.fixture
def source(ctx: Context) -> str:
    return form_connection(ctx)


def deliveries(ctx: Context, event: str | None = None) -> list[Delivery]:
    return sink_helpers.deliveries(ctx, "lever", event)


def last_error(ctx: Context) -> str:
    return str(deliveries(ctx)[0].last_error)


def run_pending(ctx: Context) -> None:
    for row in deliveries(ctx):
        if row.status == "pending":
            delivery.attempt(ctx, row.id)


def set_settings(ctx: Context, **values: Any) -> None:
    sink_helpers.set_settings(ctx, "lever", **values)


def remote(ctx: Context, subject_type: str) -> list[str]:
    with ctx.db.session() as session:
        return list(session.scalars(select(RemoteRecord.remote_id).where(RemoteRecord.subject_type == subject_type)))


def test_a_qualified_lead_becomes_an_opportunity_with_our_source_and_campaign(
    ctx: Context, source: str, ats: str, fake: LeverFake
) -> None:
    capture(ctx, source, samples.submission(1))
    [row] = deliveries(ctx)
    assert delivery.attempt(ctx, row.id) == "delivered"
    [opportunity] = fake.opportunities()
    person = samples.submission(1)["fields"]
    assert opportunity["emails"] == [person["email"]] and opportunity["name"].endswith(person["last_name"])
    assert opportunity["sources"] == ["Career site"] and opportunity["origin"] == "sourced"
    assert opportunity["tags"] == [samples.submission(1)["utm"]["campaign"]]
    assert opportunity["stage"] == "lead-new" and opportunity["applications"] == []
    assert opportunity["phones"] == [{"type": "mobile", "value": "+49" + person["phone"][1:].replace(" ", "")}]
    method, path, args, _ = fake.requests[-1]
    assert (method, path, args["perform_as"]) == ("POST", "/v1/opportunities", fake.perform_as)
    assert remote(ctx, "person") == [opportunity["id"]] and deliveries(ctx)[0].remote_id == opportunity["id"]
    with ctx.db.session() as session:
        summary = session.scalar(select(DeliveryAttempt.request_summary))
    assert summary == "GET /v1/opportunities?email=… → POST /v1/opportunities"  # no email in what we store


def test_the_same_person_again_adds_to_the_same_opportunity_instead_of_a_second(
    ctx: Context, source: str, ats: str, fake: LeverFake
) -> None:
    capture(ctx, source, samples.submission(2))
    run_pending(ctx)
    capture(ctx, source, again(2, "again", campaign="messe-berlin-2026"))
    run_pending(ctx)
    [opportunity] = fake.opportunities()
    assert opportunity["tags"] == [samples.submission(2)["utm"]["campaign"], "messe-berlin-2026"]
    assert fake.writes().count("POST /v1/opportunities") == 1
    assert {d.status for d in deliveries(ctx)} == {"delivered"}


def test_a_person_already_in_lever_is_found_by_email_before_anything_is_created(
    ctx: Context, source: str, ats: str, fake: LeverFake
) -> None:
    email = samples.submission(3)["fields"]["email"]
    existing = fake.account.create({"name": "Added by a recruiter", "emails": [email.upper()]}, fake.perform_as,
                                   fake.now())
    capture(ctx, source, samples.submission(3))
    run_pending(ctx)
    [opportunity] = fake.opportunities()
    assert opportunity["id"] == existing["id"] and opportunity["sources"] == ["Career site"]
    assert "POST /v1/opportunities" not in fake.writes() and remote(ctx, "person") == [existing["id"]]


@pytest.mark.parametrize("found_by", ["recorded id", "email lookup"])
def test_a_lead_that_converts_updates_the_same_opportunity_never_a_second(
    ctx: Context, source: str, ats: str, fake: LeverFake, found_by: str
) -> None:
    lead_id = capture(ctx, source, samples.submission(4))
    run_pending(ctx)
    [lead_opportunity] = fake.opportunities()
    if found_by == "email lookup":  # as if the lead had been pushed before leadhub recorded ids
        with ctx.db.transaction() as session:
            session.execute(delete(RemoteRecord))
    cv = conversion.Cv("cv.pdf", "application/pdf", PDF)
    application_id = conversion.convert(ctx, lead_id, "J-7", "Pflegefachkraft", cv)
    [row] = deliveries(ctx, "application.created")
    assert delivery.attempt(ctx, row.id) == "delivered"
    [opportunity] = fake.opportunities()
    assert opportunity["id"] == lead_opportunity["id"] and opportunity["stage"] == "applicant-new"
    assert [f["name"] for f in fake.account.files[opportunity["id"]]] == ["cv.pdf"]
    [note] = fake.account.notes[opportunity["id"]]
    assert "Pflegefachkraft" in note["text"] and "Career site" in note["text"] and POSTING in note["text"]
    assert remote(ctx, "application") == [opportunity["id"]]
    with ctx.db.session() as session:
        recorded = session.scalar(select(RemoteRecord).where(RemoteRecord.subject_id == application_id))
    assert recorded is not None and recorded.remote_kind == "opportunity"
    make_due(ctx)
    with ctx.db.transaction() as session:  # a replay of the application sends nothing twice
        session.execute(update(Delivery).where(Delivery.id == row.id).values(status="pending"))
    assert delivery.attempt(ctx, row.id) == "delivered"
    assert len(fake.opportunities()) == 1 and len(fake.account.files[opportunity["id"]]) == 1
    assert len(fake.account.notes[opportunity["id"]]) == 1


def test_an_application_of_someone_new_to_lever_is_an_opportunity_on_the_posting_with_the_cv(
    ctx: Context, source: str, ats: str, fake: LeverFake
) -> None:
    set_settings(ctx, route={"events": ["application.created"]})
    lead_id = capture(ctx, source, samples.submission(5))
    conversion.convert(ctx, lead_id, "J-7", "Pflegefachkraft", conversion.Cv("lebenslauf.pdf", "application/pdf", PDF))
    [row] = deliveries(ctx)
    assert delivery.attempt(ctx, row.id) == "delivered"
    [opportunity] = fake.opportunities()
    [application] = fake.account.applications.values()
    assert application["posting"] == POSTING and opportunity["stage"] == "applicant-new"
    assert opportunity["sources"] == ["Career site"]
    assert opportunity["tags"] == [samples.submission(5)["utm"]["campaign"]]
    assert fake.account.files[opportunity["id"]][0]["content"] == PDF
    assert remote(ctx, "application") == [opportunity["id"]] and remote(ctx, "person") == []


def test_an_application_for_another_job_is_a_new_opportunity_of_the_same_contact(
    ctx: Context, source: str, ats: str, fake: LeverFake
) -> None:
    other = fake.account.add_posting("Nachtdienst")
    set_settings(ctx, route={"events": ["application.created"]})
    lead_id = capture(ctx, source, samples.submission(6))
    conversion.convert(ctx, lead_id, "J-7", "Pflegefachkraft")
    conversion.convert(ctx, lead_id, other, "Nachtdienst")
    run_pending(ctx)
    first, second = fake.opportunities()
    assert first["contact"] == second["contact"] and first["id"] != second["id"]
    assert {a["posting"] for a in fake.account.applications.values()} == {POSTING, other}


def test_an_invalid_posting_is_dead_lettered_in_levers_words(
    ctx: Context, source: str, ats: str, fake: LeverFake
) -> None:
    set_settings(ctx, route={"events": ["application.created"]})
    lead_id = capture(ctx, source, samples.submission(7))
    conversion.convert(ctx, lead_id, "J-404", "Unbekannt")
    [row] = deliveries(ctx)
    assert delivery.attempt(ctx, row.id) == "dead"
    error = last_error(ctx)
    assert "Lever refused the request (HTTP 400 BadRequestError): Invalid posting id: J-404" in error
    assert "posting_ids" in error and fake.opportunities() == []


def test_a_429_with_retry_after_is_honoured(ctx: Context, source: str, ats: str, fake: LeverFake) -> None:
    capture(ctx, source, samples.submission(8))
    fake.fail_next(429, headers={"Retry-After": "30"})
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    row = deliveries(ctx)[0]
    assert 28 <= wait_s(row) <= 31 and "TooManyRequestsError" in str(row.last_error)


def test_levers_own_bucket_429_waits_a_little_and_the_retry_does_not_double(
    ctx: Context, source: str, ats: str, fake: LeverFake
) -> None:
    capture(ctx, source, samples.submission(9))
    fake.throttle(0.01, 1.0, tokens_left=1.0)  # one request left: the lookup passes, the create is throttled
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    assert 1.5 <= wait_s(deliveries(ctx)[0]) <= 2.1 and fake.opportunities() == []
    fake.throttle(10.0, 20.0)
    make_due(ctx)
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered" and len(fake.opportunities()) == 1


def test_a_ten_minute_outage_ends_and_every_delivery_arrives(
    ctx: Context, source: str, ats: str, fake: LeverFake
) -> None:
    ctx.settings.retry_schedule = [0.0, 5.0, 300.0, 1800.0]
    for n in range(10, 13):
        capture(ctx, source, samples.submission(n))
    fake.outage(600)
    for _ in range(5):
        waiting = [d for d in deliveries(ctx) if d.status == "pending"]
        if not waiting:
            break
        fake.advance(max(0.0, max(wait_s(d) for d in waiting)))
        make_due(ctx)
        for row in waiting:
            delivery.attempt(ctx, row.id)
    rows = deliveries(ctx)
    assert {d.status for d in rows} == {"delivered"} and {d.attempt_count for d in rows} == {4}
    assert len(fake.opportunities()) == 3


def test_a_create_that_timed_out_is_retried_without_a_second_opportunity(
    ctx: Context, source: str, ats: str, fake: LeverFake
) -> None:
    capture(ctx, source, samples.submission(13))
    fake.delay_next(3.0, request_line="POST /v1/opportunities")  # Lever creates it, answers after our 2 s
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    error = last_error(ctx)
    assert "did not answer within 2 s" in error and "will not be doubled" in error
    assert len(fake.opportunities()) == 1
    make_due(ctx)
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    [opportunity] = fake.opportunities()
    assert deliveries(ctx)[0].remote_id == opportunity["id"]


def test_an_application_whose_create_timed_out_keeps_one_opportunity_and_one_cv(
    ctx: Context, source: str, ats: str, fake: LeverFake
) -> None:
    set_settings(ctx, route={"events": ["application.created"]})
    lead_id = capture(ctx, source, samples.submission(14))
    conversion.convert(ctx, lead_id, "J-7", "Pflegefachkraft", conversion.Cv("cv.pdf", "application/pdf", PDF))
    fake.delay_next(3.0, request_line="POST /v1/opportunities")
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    make_due(ctx)
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    [opportunity] = fake.opportunities()
    assert len(fake.account.files[opportunity["id"]]) == 1 and len(fake.account.applications) == 1


def test_a_revoked_key_flags_the_connection_and_a_new_key_resumes_it(
    ctx: Context, source: str, ats: str, fake: LeverFake
) -> None:
    capture(ctx, source, samples.submission(15))
    fake.revoke()
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    with ctx.db.session() as session:
        conn = session.scalar(select(Connection).where(Connection.name == "lever"))
    assert conn is not None and conn.status == "needs_reauth"
    assert "UnauthorizedError" in str(conn.status_message) and "set-secret lever api_key" in str(conn.status_message)
    fake.keys.add("fresh-key")
    connections.update_secrets(ctx, "lever", {"api_key": "fresh-key"})
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"


def test_without_perform_as_nothing_is_sent_and_the_admin_is_told(
    ctx: Context, source: str, ats: str, fake: LeverFake
) -> None:
    set_settings(ctx, perform_as="")
    capture(ctx, source, samples.submission(16))
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "dead"
    assert "set the connection setting perform_as" in last_error(ctx) and fake.requests == []


def test_check_accepts_a_working_key_and_names_what_is_wrong(ctx: Context, ats: str, fake: LeverFake) -> None:
    lever.check(connections.find(ctx, "lever"), requests.Session())
    set_settings(ctx, perform_as="no-such-user")
    with pytest.raises(ConfigurationError, match="Lever has no user no-such-user"):
        lever.check(connections.find(ctx, "lever"), requests.Session())
    set_settings(ctx, perform_as=fake.perform_as)
    fake.revoke()
    with pytest.raises(AuthExpired, match="refused the API key"):
        lever.check(connections.find(ctx, "lever"), requests.Session())
