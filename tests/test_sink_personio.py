"""The Personio sink against its fake over real HTTP, through the delivery engine (issue 5 acceptance)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from connectors.sinks.personio.fake import CLIENT_ID, CLIENT_SECRET, COMPANY_ID, SANDBOX_TOKEN, PersonioFake
from connectors.sources.form_webhook import samples
from core.context import Context
from core.models import Connection, Delivery, DeliveryAttempt, RemoteRecord, utcnow
from sync import connections, conversion, delivery
from tests import sink_helpers
from tests.sink_helpers import capture, form_connection, make_due, wait_s

FIXTURES = Path(__file__).resolve().parent.parent / "connectors" / "sinks" / "personio" / "fixtures"
PDF = b"%PDF-1.4\n% invented CV for tests\n"
POSITION, CHANNEL = 123456, 987
READ = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


@pytest.fixture
def fake() -> PersonioFake:
    found = PersonioFake()
    found.company.add_position(POSITION, "Pflegefachkraft (m/w/d)")
    found.company.channels[CHANNEL] = "Karriereseite"
    return found


@pytest.fixture
def url(live_server: Any, fake: PersonioFake) -> str:
    return str(live_server(fake.app()).url)


def connect(ctx: Context, url: str, read: bool = True, **settings: Any) -> None:
    base = {"base_url": url, "company_id": COMPANY_ID, "timeout_s": 2.0, "job_position_ids": {"J-7": POSITION},
            "channel_ids": {"form_webhook": CHANNEL}}
    connections.create(ctx, "personio", "personio", {**base, **settings},
                       {"access_token": SANDBOX_TOKEN, **(READ if read else {})})


@pytest.fixture
def ats(ctx: Context, url: str) -> str:
    connect(ctx, url)
    return url


@pytest.fixture
def source(ctx: Context) -> str:
    return form_connection(ctx)


def convert(ctx: Context, source: str, n: int, job: str = "J-7", cv: bool = True) -> str:
    lead_id = capture(ctx, source, samples.submission(n))
    return conversion.convert(ctx, lead_id, job, "Pflegefachkraft",
                              conversion.Cv("lebenslauf.pdf", "application/pdf", PDF) if cv else None)


def deliveries(ctx: Context) -> list[Delivery]:
    return sink_helpers.deliveries(ctx, "personio")


def last_error(ctx: Context, n: int = 0) -> str:
    return str(deliveries(ctx)[n].last_error)


def excerpts(ctx: Context) -> list[str]:
    with ctx.db.session() as session:
        return [str(e) for e in session.scalars(select(DeliveryAttempt.response_excerpt).order_by(
            DeliveryAttempt.started_at))]


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_a_conversion_uploads_the_cv_first_then_creates_the_application_with_channel_and_tags(
    ctx: Context, source: str, ats: str, fake: PersonioFake
) -> None:
    application_id = convert(ctx, source, 1)
    [row] = deliveries(ctx)  # Personio takes applications: the qualified lead went nowhere
    assert delivery.attempt(ctx, row.id) == "delivered"
    [application] = fake.applications()
    [document] = fake.company.documents.values()
    person = samples.submission(1)["fields"]
    assert fake.writes() == ["POST /v1/recruiting/applications/documents", "POST /v1/recruiting/applications"]
    assert application["files"] == [{"uuid": document["uuid"], "original_filename": "lebenslauf.pdf",
                                     "category": "cv"}]
    assert document["content"] == PDF and application["job"] == {"id": str(POSITION)}
    assert application["channel"] == CHANNEL and application["tags"] == [samples.submission(1)["utm"]["campaign"]]
    assert application["email"] == person["email"] and {a["id"] for a in application["attributes"]} == {"phone",
                                                                                                          "location"}
    [headers] = [h for _, path, h, _ in fake.requests if path == "/v1/recruiting/applications"]
    assert headers["X-Company-Id"] == COMPANY_ID and headers["Authorization"] == f"Bearer {SANDBOX_TOKEN}"
    assert headers["X-Personio-App-Id"] == "LEADHUB"
    with ctx.db.session() as session:
        recorded = session.scalar(select(RemoteRecord).where(RemoteRecord.subject_id == application_id))
    assert recorded is not None and recorded.remote_id == application["id"] and recorded.subject_type == "application"


def test_without_read_credentials_the_application_is_delivered_without_an_id(
    ctx: Context, source: str, url: str, fake: PersonioFake
) -> None:
    connect(ctx, url, read=False)
    convert(ctx, source, 2)
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    assert len(fake.applications()) == 1 and deliveries(ctx)[0].remote_id is None
    assert not any(path.startswith("/v2") for _, path, _, _ in fake.requests)


def test_an_applicant_who_already_applied_is_delivered_with_a_note_not_dead_lettered(
    ctx: Context, source: str, url: str, fake: PersonioFake
) -> None:
    connect(ctx, url, read=False)
    email = samples.submission(3)["fields"]["email"]
    fake.company.apply({"first_name": "A", "last_name": "B", "email": email.upper(), "job_position_id": POSITION},
                       utcnow().date(), utcnow())
    convert(ctx, source, 3)
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    assert deliveries(ctx)[0].last_error is None and len(fake.applications()) == 1
    [note] = excerpts(ctx)
    assert "errors.applicant-already-exists" in note and f"job position {POSITION}" in note


def test_an_applicant_who_already_applied_is_found_and_linked_before_creating(
    ctx: Context, source: str, ats: str, fake: PersonioFake
) -> None:
    email = samples.submission(4)["fields"]["email"]
    existing = fake.company.apply({"first_name": "A", "last_name": "B", "email": email, "job_position_id": POSITION},
                                  utcnow().date(), utcnow())
    convert(ctx, source, 4)
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    assert deliveries(ctx)[0].remote_id == existing["id"] and fake.writes() == []
    assert "Found in Personio before creating" in excerpts(ctx)[0]


def test_a_duplicate_answer_that_names_the_application_links_it(
    ctx: Context, source: str, url: str, fake: PersonioFake
) -> None:
    connect(ctx, url, read=False)
    convert(ctx, source, 5, cv=False)
    duplicate = {"errors": [{"field": "email", "errors": [{"reason": "errors.applicant-already-exists",
                                                           "context": {"application_id": 777}}]}]}
    fake.fail_next(400, body=duplicate)
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    assert deliveries(ctx)[0].remote_id == "777"


def test_a_missing_recruiting_channel_is_dead_lettered_in_personios_words(
    ctx: Context, source: str, url: str, fake: PersonioFake
) -> None:
    connect(ctx, url, channel_ids={"form_webhook": 555})
    convert(ctx, source, 6)
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "dead"
    assert ("recruiting_channel_id (from the connection settings channel_ids / channel_id) names a recruiting "
            "channel Personio cannot find (errors.posting-validation.channel-not-found)") in last_error(ctx)
    assert fake.applications() == []


def test_an_unpublished_job_position_is_dead_lettered_in_words(
    ctx: Context, source: str, ats: str, fake: PersonioFake
) -> None:
    fake.company.positions[POSITION]["published"] = False
    convert(ctx, source, 7)
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "dead"
    assert "names a job position that is not published (errors.job-position.not-published)" in last_error(ctx)


def test_a_document_personio_cannot_process_is_dead_lettered_with_its_422(
    ctx: Context, source: str, ats: str, fake: PersonioFake
) -> None:
    convert(ctx, source, 8)
    fake.fail_next(422, body=fixture("error_422_invalid_file_type.json"))
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "dead"
    error = last_error(ctx)
    assert "HTTP 422" in error and "file is a file type Personio does not accept (errors.invalid-file-type" in error
    assert fake.applications() == []


def test_an_unmapped_job_or_a_missing_company_id_is_dead_lettered_before_any_call(
    ctx: Context, source: str, url: str, fake: PersonioFake
) -> None:
    connect(ctx, url)
    convert(ctx, source, 9, job="J-unknown")
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "dead"
    assert "The job 'J-unknown' (Pflegefachkraft) has no Personio job position id" in last_error(ctx)
    with ctx.db.transaction() as session:
        conn = session.scalar(select(Connection).where(Connection.name == "personio"))
        assert conn is not None
        conn.settings = {**conn.settings, "company_id": ""}
    convert(ctx, source, 10)
    assert delivery.attempt(ctx, deliveries(ctx)[1].id) == "dead"
    assert "set the connection setting company_id" in last_error(ctx, 1) and fake.requests == []


def test_personios_own_limit_waits_60_seconds_and_the_retry_creates_one_application(
    ctx: Context, source: str, ats: str, fake: PersonioFake
) -> None:
    convert(ctx, source, 11)
    fake.limit = 1  # the document upload is the last call Personio allows this minute
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    row = deliveries(ctx)[0]
    assert 58 <= wait_s(row) <= 61 and "20 calls in 60 s" in str(row.last_error) and fake.applications() == []
    fake.limit = 20
    fake.advance(61)
    make_due(ctx)
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered" and len(fake.applications()) == 1


def test_a_429_with_retry_after_is_honoured(ctx: Context, source: str, ats: str, fake: PersonioFake) -> None:
    convert(ctx, source, 12)
    fake.fail_next(429, headers={"Retry-After": "120"})
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    assert 118 <= wait_s(deliveries(ctx)[0]) <= 121


def test_a_ten_minute_outage_ends_and_every_application_arrives(
    ctx: Context, source: str, ats: str, fake: PersonioFake
) -> None:
    ctx.settings.retry_schedule = [0.0, 5.0, 300.0, 1800.0]
    for n in (13, 14):
        convert(ctx, source, n)
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
    assert len(fake.applications()) == 2 and all(d.remote_id for d in rows)


@pytest.mark.parametrize("read", [True, False], ids=["found-by-v2-lookup", "answered-already-exists"])
def test_a_create_that_timed_out_is_retried_without_a_second_application(
    ctx: Context, source: str, url: str, fake: PersonioFake, read: bool
) -> None:
    connect(ctx, url, read=read)
    convert(ctx, source, 15)
    fake.delay_next(3.0, request_line="POST /v1/recruiting/applications")  # created, answered too late
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    assert "did not answer within 2 s" in last_error(ctx) and len(fake.applications()) == 1
    make_due(ctx)
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    [application] = fake.applications()
    assert deliveries(ctx)[0].remote_id == (application["id"] if read else None)
    assert fake.writes().count("POST /v1/recruiting/applications") == (1 if read else 2)


def test_a_revoked_token_flags_the_connection_and_a_new_one_resumes_it(
    ctx: Context, source: str, ats: str, fake: PersonioFake
) -> None:
    convert(ctx, source, 16)
    fake.revoke()
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    with ctx.db.session() as session:
        conn = session.scalar(select(Connection).where(Connection.name == "personio"))
    assert conn is not None and conn.status == "needs_reauth"
    assert "Recruiting API key" in str(conn.status_message) and "set-secret personio access_token" in str(
        conn.status_message)
    fake.tokens.add("fresh-token")
    connections.update_secrets(ctx, "personio", {"access_token": "fresh-token"})
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"


def test_an_account_without_the_recruiting_api_is_flagged_with_words(
    ctx: Context, source: str, ats: str, fake: PersonioFake
) -> None:
    convert(ctx, source, 17)
    fake.api_enabled = False
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    error = last_error(ctx)
    assert "feature.public-api.disabled: this Personio account has no access to the Recruiting API" in error


def test_a_replayed_application_is_not_sent_again(ctx: Context, source: str, ats: str, fake: PersonioFake) -> None:
    convert(ctx, source, 18)
    delivery.attempt(ctx, deliveries(ctx)[0].id)
    sent = len(fake.requests)
    with ctx.db.transaction() as session:
        session.execute(update(Delivery).values(status="pending", next_attempt_at=utcnow()))
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    assert len(fake.requests) == sent and "cannot update it" in excerpts(ctx)[-1]
