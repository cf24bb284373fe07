"""The Greenhouse sink against its fake over real HTTP, through the delivery engine (issue 5 acceptance), and the
whole hand-over: lead → prospect → application with the CV → stage web hook back."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import select

from connectors.sinks.greenhouse.fake import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_USER_ID, GreenhouseFake
from connectors.sources.form_webhook import samples
from core.context import Context
from core.models import Application, Connection, Delivery, DeliveryAttempt, Event, RemoteRecord
from sync import connections, conversion, delivery, pipeline
from sync.conversion import Cv
from tests import sink_helpers
from tests.sink_helpers import again, capture, form_connection, make_due, wait_s

PDF = b"%PDF-1.4\n% invented CV for tests\n%%EOF\n"
WEBHOOK_SECRET = "gh-webhook-secret"
JOB = 215725  # a job of the fake's organisation
CAREER_SITE = 7  # the fake's source "Career site"


def settings_for(url: str, **extra: Any) -> dict[str, Any]:
    return {"base_url": url, "token_url": f"{url}/token", "user_id": SANDBOX_USER_ID, "timeout_s": 2.0,
            "source_ids": {"form_webhook": CAREER_SITE}, "job_ids": {"J-7": JOB}, **extra}


SECRETS = {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET, "webhook_secret": WEBHOOK_SECRET}


@pytest.fixture
def fake() -> GreenhouseFake:
    return GreenhouseFake()


@pytest.fixture
def ats(ctx: Context, live_server: Any, fake: GreenhouseFake) -> str:
    url: str = live_server(fake.app()).url
    connections.create(ctx, "gh", "greenhouse", settings_for(url), dict(SECRETS))
    return url


@pytest.fixture
def source(ctx: Context) -> str:
    return form_connection(ctx)


def deliveries(ctx: Context) -> list[Delivery]:
    return sink_helpers.deliveries(ctx, "greenhouse")


def set_settings(ctx: Context, **values: Any) -> None:
    sink_helpers.set_settings(ctx, "gh", **values)


def connection(ctx: Context) -> Connection:
    return sink_helpers.connection(ctx, "gh")


def error(row: Delivery) -> str:
    return row.last_error or ""


def remote(ctx: Context, subject_type: str) -> list[RemoteRecord]:
    with ctx.db.session() as session:
        return list(session.scalars(select(RemoteRecord).where(RemoteRecord.subject_type == subject_type)))


def test_a_qualified_lead_becomes_a_prospect_crediting_its_source(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    capture(ctx, source, samples.submission(1))
    [row] = deliveries(ctx)
    assert delivery.attempt(ctx, row.id) == "delivered"
    [person] = fake.people()
    fields = samples.submission(1)["fields"]
    assert (person["first_name"], person["last_name"]) == (fields["first_name"], fields["last_name"])
    assert person["email_addresses"] == [{"value": fields["email"], "type": "personal"}]
    assert person["phone_numbers"][0]["value"].startswith("+49") and person["tags"] == ["leadhub"]
    [application] = person["applications"]
    assert application["prospect"] is True and application["source_id"] == CAREER_SITE
    assert application["job_ids"] == []  # a jobless prospect: talent pool
    [record] = remote(ctx, "person")
    assert (record.remote_id, record.remote_kind) == (str(person["id"]), "candidate")
    with ctx.db.session() as session:
        summary = session.scalar(select(DeliveryAttempt.request_summary).where(DeliveryAttempt.delivery_id == row.id))
    assert summary == "POST /token 200; GET /v3/candidates?email&per_page 200; POST /v3/prospects 201"


def test_the_same_person_again_updates_the_prospect_and_makes_no_second_record(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    capture(ctx, source, samples.submission(2))
    delivery.attempt(ctx, deliveries(ctx)[0].id)
    [person] = fake.people()
    fake.org.candidates[person["id"]]["tags"].append("Pflege")  # a recruiter's tag survives
    set_settings(ctx, tags=["leadhub", "messe-berlin"])
    capture(ctx, source, again(2, "again"))
    assert delivery.attempt(ctx, deliveries(ctx)[1].id) == "delivered"
    [person] = fake.people()
    assert person["tags"] == ["leadhub", "Pflege", "messe-berlin"]
    assert deliveries(ctx)[1].remote_id == str(person["id"])
    assert fake.calls("POST", "/v3/prospects") and len(fake.calls("POST", "/v3/prospects")) == 1


def test_a_person_greenhouse_already_has_is_found_by_email_not_created(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    email = samples.submission(3)["fields"]["email"]
    existing = fake.org.new_person({"first_name": "Schon", "last_name": "Da", "email_addresses": [
        {"value": email.upper(), "type": "work"}]}, fake.now())
    capture(ctx, source, samples.submission(3))
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    assert [p["id"] for p in fake.people()] == [existing["id"]]
    assert deliveries(ctx)[0].remote_id == str(existing["id"])


def test_an_unknown_source_id_is_dead_lettered_in_greenhouses_words(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    set_settings(ctx, source_ids={"form_webhook": 999})
    capture(ctx, source, samples.submission(4))
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "dead"
    text = error(deliveries(ctx)[0])
    assert "Greenhouse refused it: application.source_id: Source 999 does not exist" in text
    assert "POST /v3/prospects 422" in text and fake.people() == []


def test_a_429_waits_as_long_as_retry_after_says(ctx: Context, source: str, ats: str, fake: GreenhouseFake) -> None:
    capture(ctx, source, samples.submission(5))
    fake.fail_next(429, headers={"Retry-After": "42", "X-RateLimit-Reset": str(int(fake.now()) + 42)})
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    row = deliveries(ctx)[0]
    assert 40 <= wait_s(row) <= 43 and "rate limit" in error(row)


def test_a_429_without_retry_after_waits_until_x_ratelimit_reset(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    capture(ctx, source, samples.submission(6))
    fake.fail_next(429, headers={"X-RateLimit-Reset": str(int(fake.now()) + 90)})
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    assert 85 <= wait_s(deliveries(ctx)[0]) <= 91


def test_the_real_ten_second_limit_answers_429_and_the_delivery_waits_for_the_window(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    fake.rate_limit = 2  # one lead takes a lookup and a create
    capture(ctx, source, samples.submission(7))
    capture(ctx, source, samples.submission(8))
    first, second = deliveries(ctx)
    assert delivery.attempt(ctx, first.id) == "delivered"
    assert delivery.attempt(ctx, second.id) == "pending"
    assert 1 <= wait_s(deliveries(ctx)[1]) <= 11
    fake.advance(11)
    make_due(ctx)
    assert delivery.attempt(ctx, second.id) == "delivered" and len(fake.people()) == 2


def test_a_ten_minute_outage_then_recovery_delivers_everything(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    for n in (9, 10, 11):
        capture(ctx, source, samples.submission(n))
    fake.outage(600)
    for _ in range(2):  # two rounds on the (short) test schedule, all failing
        for row in deliveries(ctx):
            assert delivery.attempt(ctx, row.id) == "pending"
        make_due(ctx)
    assert all("failed (HTTP 500)" in error(row) for row in deliveries(ctx))
    fake.advance(601)
    for row in deliveries(ctx):
        assert delivery.attempt(ctx, row.id) == "delivered"
    assert len(fake.people()) == 3 and len(remote(ctx, "person")) == 3


def test_a_create_that_timed_out_is_found_by_the_retry_not_made_twice(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    capture(ctx, source, samples.submission(12))
    fake.delay_next(3.0, path="/v3/prospects")  # created, but the answer comes after the 2 s timeout
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    assert "did not answer within 2 s" in error(deliveries(ctx)[0])
    assert len(fake.people()) == 1
    make_due(ctx)
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    [person] = fake.people()
    assert len(fake.calls("POST", "/v3/prospects")) == 1 and deliveries(ctx)[0].remote_id == str(person["id"])


def test_revoked_credentials_flag_the_connection_and_new_ones_resume_it(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    capture(ctx, source, samples.submission(13))
    capture(ctx, source, samples.submission(14))
    first, second = deliveries(ctx)
    assert delivery.attempt(ctx, first.id) == "delivered"
    fake.revoke()
    assert delivery.attempt(ctx, second.id) == "pending"
    conn = connection(ctx)
    message = conn.status_message or ""
    assert conn.status == "needs_reauth" and "refused the OAuth client credentials" in message
    assert "invalid_client" in message and "set-secret gh client_id" in message
    fake.issue("gh-new-client", "gh-new-secret")
    connections.update_secrets(ctx, "gh", {"client_id": "gh-new-client", "client_secret": "gh-new-secret"})
    assert delivery.attempt(ctx, second.id) == "delivered"


def test_the_token_is_cached_until_it_expires_then_renewed_once(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    for n in (15, 16, 17):
        capture(ctx, source, samples.submission(n))
    first, second, third = deliveries(ctx)
    delivery.attempt(ctx, first.id)
    delivery.attempt(ctx, second.id)
    assert fake.token_requests == 1
    sent = fake.calls("POST", "/token")[0]
    assert sent == {"grant_type": "client_credentials", "sub": str(SANDBOX_USER_ID)}
    fake.advance(3601)  # Greenhouse now refuses the cached token: 401, one new token, the same call again
    assert delivery.attempt(ctx, third.id) == "delivered" and fake.token_requests == 2


def test_end_to_end_lead_prospect_application_with_cv_and_a_stage_web_hook(
    app: Any, client: Any, live_server: Any, fake: GreenhouseFake
) -> None:
    hub: Context = app.extensions["leadhub"]
    url = live_server(fake.app()).url
    connections.create(hub, "gh", "greenhouse", settings_for(url), dict(SECRETS))
    careers = form_connection(hub)
    lead_id = capture(hub, careers, samples.submission(21))
    [qualified] = deliveries(hub)
    assert delivery.attempt(hub, qualified.id) == "delivered"  # → a prospect in Greenhouse
    [person] = fake.people()
    assert person["applications"][0]["prospect"] is True

    application_id = conversion.convert(hub, lead_id, "J-7", "Pflegefachkraft", Cv("lebenslauf.pdf", "application/pdf",
                                                                                   PDF))
    created = next(d for d in deliveries(hub) if d.subject_type == "application")
    assert delivery.attempt(hub, created.id) == "delivered"
    [person] = fake.people()  # the prospect was converted, not duplicated
    [gh_application] = person["applications"]
    assert gh_application["prospect"] is False and gh_application["job_ids"] == [JOB]
    assert gh_application["source_id"] == CAREER_SITE  # the lead's source is credited
    [cv] = gh_application["attachments"]
    assert (cv["filename"], cv["type"], cv["content_type"], cv["content"]) == ("lebenslauf.pdf", "resume",
                                                                                "application/pdf", PDF)
    assert fake.calls("POST", "/v3/attachments")[0]["content"] == base64.b64encode(PDF).decode()
    assert refreshed(hub, created).remote_id == str(gh_application["id"])

    fake.move(gh_application["id"], "Face to Face")
    body, headers = fake.webhooks.signed("candidate_stage_change", gh_application["id"], WEBHOOK_SECRET)
    answer = client.post("/hooks/greenhouse/gh", data=body, headers=headers)
    assert answer.status_code == 200  # Greenhouse needs a 200 (ACK_STATUS), answer.get_json()
    outcome = pipeline.process(hub, answer.get_json()["raw_record_id"])
    assert outcome.raw_records == (str(gh_application["id"]),)
    with hub.db.session() as session:
        moved = session.get(Application, application_id)
        event = session.scalar(select(Event).where(Event.type == "application.status_changed"))
    assert moved is not None and moved.stage == "interview"
    assert event is not None and event.payload["stage"] == "interview" and event.payload["from_stage"] == "received"

    forged = client.post("/hooks/greenhouse/gh", data=body.replace(b"Face", b"Fake"), headers=headers)
    assert forged.status_code == 401


# -- conversions: applications -------------------------------------------------------------------------------------
def convert(ctx: Context, lead_id: str, job: str = "J-7", cv: bool = True) -> Delivery:
    conversion.convert(ctx, lead_id, job, "Pflegefachkraft", Cv("cv.pdf", "application/pdf", PDF) if cv else None)
    return next(d for d in reversed(deliveries(ctx)) if d.subject_type == "application")


def refreshed(ctx: Context, row: Delivery) -> Delivery:
    with ctx.db.session() as session:
        found = session.get(Delivery, row.id)
    assert found is not None
    return found


def test_a_conversion_of_someone_greenhouse_does_not_know_makes_candidate_and_application_in_one_post(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    set_settings(ctx, route={"events": ["application.created"]})  # no prospects on this connection
    lead_id = capture(ctx, source, samples.submission(30))
    row = convert(ctx, lead_id)
    assert delivery.attempt(ctx, row.id) == "delivered"
    [person] = fake.people()
    [application] = person["applications"]
    assert (application["prospect"], application["job_ids"], application["source_id"]) == (False, [JOB], CAREER_SITE)
    assert [a["content"] for a in application["attachments"]] == [PDF]
    [sent] = fake.calls("POST", "/v3/candidates")
    assert sent["applications"] == [{"job_id": JOB, "source_id": CAREER_SITE}]
    [record] = remote(ctx, "application")
    assert (record.remote_id, record.remote_kind) == (str(application["id"]), "application")


def test_an_application_create_that_timed_out_is_not_made_twice(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    set_settings(ctx, route={"events": ["application.created"]})
    row = convert(ctx, capture(ctx, source, samples.submission(31)))
    fake.delay_next(3.0, path="/v3/candidates")
    assert delivery.attempt(ctx, row.id) == "pending"
    make_due(ctx)
    assert delivery.attempt(ctx, row.id) == "delivered"
    [person] = fake.people()
    [application] = person["applications"]
    assert len(application["attachments"]) == 1 and len(fake.calls("POST", "/v3/candidates")) == 1
    assert refreshed(ctx, row).remote_id == str(application["id"])


def test_a_prospect_conversion_that_timed_out_is_found_converted_by_the_retry(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    lead_id = capture(ctx, source, samples.submission(32))
    delivery.attempt(ctx, deliveries(ctx)[0].id)
    row = convert(ctx, lead_id)
    fake.delay_next(3.0, path="/convert_to_candidate")
    assert delivery.attempt(ctx, row.id) == "pending"
    make_due(ctx)
    assert delivery.attempt(ctx, row.id) == "delivered"
    [person] = fake.people()
    [application] = person["applications"]
    assert application["prospect"] is False and len(application["attachments"]) == 1
    assert len(fake.calls("POST", "/convert_to_candidate")) == 1


def test_a_cv_upload_that_failed_after_the_application_is_retried_alone(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    set_settings(ctx, route={"events": ["application.created"]})
    row = convert(ctx, capture(ctx, source, samples.submission(33)))
    fake.fail_next(503, path="/v3/attachments")
    assert delivery.attempt(ctx, row.id) == "pending"
    make_due(ctx)
    assert delivery.attempt(ctx, row.id) == "delivered"
    [person] = fake.people()
    assert len(person["applications"]) == 1 and len(person["applications"][0]["attachments"]) == 1


def test_a_candidate_on_another_job_gets_a_second_application_not_a_second_person(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    set_settings(ctx, route={"events": ["application.created"]}, job_ids={"J-7": JOB, "J-8": 266926})
    lead_id = capture(ctx, source, samples.submission(34))
    assert delivery.attempt(ctx, convert(ctx, lead_id).id) == "delivered"
    assert delivery.attempt(ctx, convert(ctx, lead_id, "J-8", cv=False).id) == "delivered"
    [person] = fake.people()
    assert sorted(a["job_ids"][0] for a in person["applications"]) == [JOB, 266926]
    assert fake.calls("POST", "/v3/applications")[0]["candidate_id"] == person["id"]


def test_a_numeric_job_reference_is_taken_as_the_greenhouse_job_id(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    set_settings(ctx, route={"events": ["application.created"]}, job_ids={})
    assert delivery.attempt(ctx, convert(ctx, capture(ctx, source, samples.submission(35)), str(JOB)).id) == "delivered"
    assert fake.people()[0]["applications"][0]["job_ids"] == [JOB]


def test_a_job_without_a_greenhouse_id_is_dead_lettered_with_what_to_set(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    set_settings(ctx, route={"events": ["application.created"]})
    row = convert(ctx, capture(ctx, source, samples.submission(36)), "J-404")
    assert delivery.attempt(ctx, row.id) == "dead"
    text = error(refreshed(ctx, row))
    assert "Our job J-404 has no Greenhouse job id" in text and "job_ids" in text and fake.requests == []


def test_a_closed_job_is_dead_lettered_in_greenhouses_words(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    set_settings(ctx, route={"events": ["application.created"]})
    fake.org.jobs[JOB]["status"] = "closed"
    row = convert(ctx, capture(ctx, source, samples.submission(37)))
    assert delivery.attempt(ctx, row.id) == "dead"
    assert "applications[0].job_id: Job 215725 is not open" in error(refreshed(ctx, row))


def test_the_conversion_credits_the_converted_leads_source_even_if_the_prospect_came_from_elsewhere(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    set_settings(ctx, route={"events": ["application.created"]}, source_ids={"form_webhook": CAREER_SITE})
    email = samples.submission(38)["fields"]["email"]
    other = fake.org.new_person({"first_name": "A", "last_name": "B", "email_addresses": [
        {"value": email, "type": "personal"}]}, fake.now())
    fake.org.new_application(other["id"], {"source_id": 632}, True, fake.now())  # sourced by a recruiter
    row = convert(ctx, capture(ctx, source, samples.submission(38)))
    assert delivery.attempt(ctx, row.id) == "delivered"
    [person] = fake.people()
    [application] = person["applications"]
    assert application["prospect"] is False and application["source_id"] == CAREER_SITE


def test_a_replayed_conversion_uses_the_recorded_application(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    from sync import redeliver

    set_settings(ctx, route={"events": ["application.created"]})
    row = convert(ctx, capture(ctx, source, samples.submission(39)))
    assert delivery.attempt(ctx, row.id) == "delivered"
    assert redeliver.replay(ctx, ids=[row.id], status="delivered") == [row.id]
    assert delivery.attempt(ctx, row.id) == "delivered"
    [person] = fake.people()
    assert len(person["applications"]) == 1 and len(fake.calls("POST", "/v3/candidates")) == 1
    assert fake.requests[-2][1] == f"/v3/applications/{person['applications'][0]['id']}"
