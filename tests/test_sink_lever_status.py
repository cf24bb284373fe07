"""Lever's signed status webhooks move our applications: verified at /hooks/lever/<connection>, stored, applied."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import connectors.sinks.lever as lever
from connectors.sinks.lever import status
from connectors.sinks.lever.fake import SANDBOX_KEY, SIGNATURE_TOKEN, LeverFake
from connectors.sources.form_webhook import samples
from core.context import Context
from core.errors import SignatureInvalid
from core.models import Application, Event, RawRecord
from core.schema import ApplicationStage
from sync import connections, conversion, delivery, pipeline
from tests.sink_helpers import capture, form_connection

FIXTURES = Path(__file__).resolve().parent.parent / "connectors" / "sinks" / "lever" / "fixtures"
POSTING = "2200dd68-757d-4ed2-a9b7-e1856196b513"
SCREEN = "d8b2d6f2-3c51-4bb4-9a1e-5d4f0c2f6a11"
UNDERQUALIFIED = "9c4a8d7e-1f2b-4e3c-8a6d-5b7c9e0f1a23"


@pytest.fixture
def fake() -> LeverFake:
    found = LeverFake()
    found.account.add_posting("Pflegefachkraft (m/w/d)", POSTING)
    return found


@pytest.fixture
def applied(ctx: Context, live_server: Any, fake: LeverFake) -> tuple[str, str]:
    """An application delivered to Lever: (our application id, the opportunity id)."""
    url = live_server(fake.app()).url
    connections.create(ctx, "lever", "lever", {"base_url": url, "perform_as": fake.perform_as},
                       {"api_key": SANDBOX_KEY, "webhook_signature_token": SIGNATURE_TOKEN})
    lead_id = capture(ctx, form_connection(ctx), samples.submission(1), "s-1")
    application_id = conversion.convert(ctx, lead_id, POSTING, "Pflegefachkraft")
    for delivery_id, _ in list(ctx.dispatch.deliveries):  # type: ignore[attr-defined]
        delivery.attempt(ctx, delivery_id)
    [opportunity] = fake.opportunities()
    return application_id, opportunity["id"]


def post(client: Any, body: bytes) -> Any:
    return client.post("/hooks/lever/lever", data=body, content_type="application/json")


def apply(ctx: Context, response: Any) -> None:
    assert response.status_code == 202, response.get_json()
    pipeline.process(ctx, response.get_json()["raw_record_id"])


def stage(ctx: Context, application_id: str) -> str:
    with ctx.db.session() as session:
        found = session.get(Application, application_id)
    assert found is not None
    return found.stage


def test_a_signed_stage_change_to_offer_moves_the_application(
    ctx: Context, client: Any, applied: tuple[str, str], fake: LeverFake
) -> None:
    application_id, opportunity_id = applied
    apply(ctx, post(client, fake.move(opportunity_id, "offer")))
    assert stage(ctx, application_id) == "offer"
    with ctx.db.session() as session:
        event = session.scalar(select(Event).where(Event.type == "application.status_changed"))
    assert event is not None and event.payload["stage"] == "offer" and event.payload["from_stage"] == "received"


def test_a_hire_is_reported_as_hired(ctx: Context, client: Any, applied: tuple[str, str], fake: LeverFake) -> None:
    application_id, opportunity_id = applied
    apply(ctx, post(client, fake.hire(opportunity_id)))
    assert stage(ctx, application_id) == "hired"


def test_an_archival_without_a_mapped_reason_moves_nothing(
    ctx: Context, client: Any, applied: tuple[str, str], fake: LeverFake
) -> None:
    application_id, opportunity_id = applied
    response = post(client, fake.archive(opportunity_id, UNDERQUALIFIED))
    apply(ctx, response)
    assert stage(ctx, application_id) == "received"
    with ctx.db.session() as session:
        raw = session.get(RawRecord, response.get_json()["raw_record_id"])
    assert raw is not None and raw.error == "No known application in this status update."


def test_a_forged_or_unsigned_webhook_is_refused_and_not_stored(
    ctx: Context, client: Any, applied: tuple[str, str], fake: LeverFake
) -> None:
    _, opportunity_id = applied
    forged = json.loads(fake.move(opportunity_id, "offer"))
    forged["token"] = "a-token-of-the-forger"  # Lever signs token + triggeredAt: a new pair needs the secret
    assert post(client, json.dumps(forged).encode()).status_code == 401
    assert post(client, b"{not json").status_code == 400
    with ctx.db.session() as session:
        assert session.scalars(select(RawRecord).where(RawRecord.kind == "status")).all() == []


def test_each_lever_webhook_may_have_its_own_signature_token(ctx: Context, applied: tuple[str, str],
                                                             fake: LeverFake) -> None:
    _, opportunity_id = applied
    fake.signature_tokens["candidateHired"] = "token-of-the-hired-webhook"
    conn = connections.find(ctx, "lever")
    with pytest.raises(SignatureInvalid, match="does not match"):
        lever.verify_status({}, fake.hire(opportunity_id), conn)
    secrets = {**conn.secrets, "webhook_token_candidateHired": "token-of-the-hired-webhook"}
    status.verify(fake.hire(opportunity_id), secrets, {})
    with pytest.raises(SignatureInvalid, match="No signature token"):
        status.verify(fake.hire(opportunity_id), {}, {})


def test_the_fixtures_verify_and_read_as_stages() -> None:
    secrets = {"webhook_signature_token": SIGNATURE_TOKEN}
    bodies = {name: (FIXTURES / f"webhook_{name}.json").read_bytes()
              for name in ("candidate_stage_change", "candidate_hired", "candidate_archive_change")}
    for body in bodies.values():
        status.verify(body, secrets, {})
    with pytest.raises(SignatureInvalid, match="more than 300 s ago"):
        status.verify(bodies["candidate_hired"], secrets, {"webhook_tolerance_s": 300})
    [offer] = lever.status_updates(bodies["candidate_stage_change"])
    [hired] = lever.status_updates(bodies["candidate_hired"])
    assert (offer.remote_application_id, offer.stage) == ("a739d309-5a1f-4d3e-9a3c-0f6b1c2d3e4f", "offer")
    assert hired.stage == ApplicationStage.hired and lever.status_updates(bodies["candidate_archive_change"]) == []


def test_the_stage_map_reads_custom_stages_and_archive_reasons() -> None:
    settings = {"stage_map": {SCREEN: "in_review", "offer": "interview"},
                "archive_reason_map": {UNDERQUALIFIED: "rejected"}}
    fake = LeverFake()
    opportunity = fake.account.create({"name": "Ada", "emails": ["ada@example.com"]}, fake.perform_as, fake.now())
    [screen] = lever.status_updates(fake.move(opportunity["id"], SCREEN), settings)
    [overridden] = lever.status_updates(fake.move(opportunity["id"], "offer"), settings)
    [rejected] = lever.status_updates(fake.archive(opportunity["id"], UNDERQUALIFIED), settings)
    assert (screen.stage, overridden.stage, rejected.stage) == ("in_review", "interview", "rejected")
    assert f"Lever: stage {SCREEN}" == screen.reason
    archived = fake.archive(opportunity["id"], UNDERQUALIFIED)
    [withdrawn] = lever.status_updates(archived, {"archive_default": "withdrawn"})
    assert withdrawn.stage == "withdrawn"
    assert lever.status_updates(fake.move(opportunity["id"], SCREEN)) == []  # unmapped: nothing moves
    unarchived = fake.webhook("candidateArchiveChange", opportunity["id"], fromArchived={"reason": UNDERQUALIFIED},
                              toArchived=None)
    assert lever.status_updates(unarchived, settings) == []
    assert lever.status_updates(fake.webhook("interviewCreated", opportunity["id"])) == []
