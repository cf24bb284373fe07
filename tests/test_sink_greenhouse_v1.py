"""The Greenhouse sink on legacy Harvest v1 (``api_version: v1``): Basic auth with the API key, ``On-Behalf-Of``,
``/v1/prospects``, ``/v1/candidates`` with inline attachments, ``convert_prospect``."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from connectors.sinks.greenhouse.fake import SANDBOX_API_KEY, SANDBOX_USER_ID, GreenhouseFake
from connectors.sources.form_webhook import samples
from core.context import Context
from sync import connections, delivery
from tests.sink_helpers import form_connection
from tests.test_sink_greenhouse import (
    CAREER_SITE,
    JOB,
    PDF,
    again,
    capture,
    connection,
    convert,
    deliveries,
    error,
    make_due,
    refreshed,
    set_settings,
)

# connections.create wants the v3 secrets (SECRET_FIELDS); a v1 connection does not use them
V1_SECRETS = {"api_key": SANDBOX_API_KEY, "client_id": "unused", "client_secret": "unused"}


@pytest.fixture
def fake() -> GreenhouseFake:
    return GreenhouseFake()


@pytest.fixture
def ats(ctx: Context, live_server: Any, fake: GreenhouseFake) -> str:
    url: str = live_server(fake.app()).url
    connections.create(ctx, "gh", "greenhouse", {
        "api_version": "v1", "base_url": url, "user_id": SANDBOX_USER_ID, "timeout_s": 2.0,
        "source_ids": {"form_webhook": CAREER_SITE}, "job_ids": {"J-7": JOB},
    }, dict(V1_SECRETS))
    return url


@pytest.fixture
def source(ctx: Context) -> str:
    return form_connection(ctx)


def test_a_qualified_lead_becomes_a_v1_prospect_on_behalf_of_the_user(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    capture(ctx, source, samples.submission(60))
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    [person] = fake.people()
    assert person["applications"][0]["prospect"] is True and person["applications"][0]["source_id"] == CAREER_SITE
    method, path, body, headers = fake.requests[-1]
    assert (method, path, body["application"]) == ("POST", "/v1/prospects", {"source_id": CAREER_SITE})
    assert headers["On-Behalf-Of"] == str(SANDBOX_USER_ID)
    assert headers["Authorization"] == "Basic " + base64.b64encode(f"{SANDBOX_API_KEY}:".encode()).decode()
    assert fake.token_requests == 0


def test_the_same_person_again_is_found_and_not_created_twice(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    capture(ctx, source, samples.submission(61))
    delivery.attempt(ctx, deliveries(ctx)[0].id)
    capture(ctx, source, again(61, "again"))
    assert delivery.attempt(ctx, deliveries(ctx)[1].id) == "delivered"
    assert len(fake.people()) == 1 and len(fake.calls("POST", "/v1/prospects")) == 1


def test_a_conversion_converts_the_prospect_and_attaches_the_cv(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    lead_id = capture(ctx, source, samples.submission(62))
    delivery.attempt(ctx, deliveries(ctx)[0].id)
    row = convert(ctx, lead_id)
    assert delivery.attempt(ctx, row.id) == "delivered"
    [person] = fake.people()
    [application] = person["applications"]
    assert (application["prospect"], application["job_ids"]) == (False, [JOB])
    assert [a["content"] for a in application["attachments"]] == [PDF]
    assert fake.calls("PATCH", "/convert_prospect") == [{"job_id": JOB}]
    assert refreshed(ctx, row).remote_id == str(application["id"])


def test_someone_new_becomes_a_candidate_with_the_cv_inline_even_when_greenhouse_answers_truncated(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    set_settings(ctx, route={"events": ["application.created"]})
    fake.truncated_for_s = 60  # Greenhouse still finishes the candidate: ids only, GET 404s for a while
    row = convert(ctx, capture(ctx, source, samples.submission(63)))
    assert delivery.attempt(ctx, row.id) == "delivered"
    [sent] = fake.calls("POST", "/v1/candidates")
    [inline] = sent["applications"]
    assert inline["attachments"][0]["content"] == base64.b64encode(PDF).decode()
    [person] = fake.people()
    assert refreshed(ctx, row).remote_id == str(person["applications"][0]["id"])


def test_a_v1_create_that_timed_out_is_found_by_email_on_the_retry(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    set_settings(ctx, route={"events": ["application.created"]})
    row = convert(ctx, capture(ctx, source, samples.submission(64)))
    fake.delay_next(3.0, path="/v1/candidates")
    assert delivery.attempt(ctx, row.id) == "pending"
    make_due(ctx)
    assert delivery.attempt(ctx, row.id) == "delivered"
    [person] = fake.people()
    assert len(person["applications"]) == 1 and len(person["applications"][0]["attachments"]) == 1


def test_a_user_id_greenhouse_does_not_know_is_dead_lettered_with_its_words(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    set_settings(ctx, user_id=1)
    capture(ctx, source, samples.submission(65))
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "dead"
    assert "On-Behalf-Of: Must be the id of a Greenhouse user" in error(deliveries(ctx)[0])


def test_a_revoked_api_key_flags_the_connection_with_what_to_do(
    ctx: Context, source: str, ats: str, fake: GreenhouseFake
) -> None:
    capture(ctx, source, samples.submission(66))
    fake.api_keys.clear()
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    conn = connection(ctx)
    assert conn.status == "needs_reauth" and "set-secret gh api_key" in (conn.status_message or "")
    fake.api_keys.add("new-key")
    connections.update_secrets(ctx, "gh", {"api_key": "new-key"})
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
