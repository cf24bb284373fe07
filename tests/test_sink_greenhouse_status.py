"""Greenhouse's status back-channel: signed web hooks read into our application stages, the stage-name map, and
polling for accounts without web hooks; plus ``check``."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from sqlalchemy import select

import connectors.sinks.greenhouse as greenhouse
from connectors.sinks.greenhouse.fake import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_USER_ID, GreenhouseFake
from connectors.sinks.greenhouse.status import sign, stage_for
from connectors.sources.form_webhook import samples
from core.context import Context
from core.errors import AuthExpired, ConfigurationError, PayloadMalformed, SignatureInvalid
from core.models import Application, Delivery, RawRecord
from core.schema import ApplicationStage
from sync import applications, connections, conversion, delivery, pipeline
from sync.conversion import Cv
from tests.sink_helpers import capture, form_connection

FIXTURES = Path(greenhouse.__file__).parent / "fixtures"
SECRET = "gh-webhook-secret"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def conn(**settings: Any) -> Any:
    return SimpleNamespace(name="gh", settings=settings, secrets={"webhook_secret": SECRET})


def stages(body: bytes, **settings: Any) -> list[tuple[str, ApplicationStage, str]]:
    return [(u.remote_application_id, u.stage, u.reason) for u in greenhouse.status_updates(body, conn(**settings))]


def test_a_correctly_signed_web_hook_is_accepted() -> None:
    body = fixture("candidate_stage_change.json")
    greenhouse.verify_status({"Signature": sign(body, SECRET)}, body, conn())


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (None, "Missing or malformed Signature"),
        ("sha1 0123", "Missing or malformed Signature"),
        ("sha256 " + "0" * 64, "does not match"),
    ],
)
def test_a_missing_or_wrong_signature_is_refused(header: str | None, words: str) -> None:
    body = fixture("candidate_stage_change.json")
    with pytest.raises(SignatureInvalid, match=words):
        greenhouse.verify_status({"Signature": header} if header else {}, body, conn())


def test_a_tampered_body_or_another_secret_does_not_verify() -> None:
    body = fixture("hire_candidate.json")
    with pytest.raises(SignatureInvalid):
        greenhouse.verify_status({"Signature": sign(body, SECRET)}, body.replace(b"hired", b"Hired"), conn())
    with pytest.raises(SignatureInvalid):
        greenhouse.verify_status({"Signature": sign(body, "another")}, body, conn())


def test_a_connection_without_a_webhook_secret_says_how_to_set_it() -> None:
    with pytest.raises(ConfigurationError, match="set-secret gh webhook_secret"):
        greenhouse.verify_status({}, b"{}", SimpleNamespace(name="gh", settings={}, secrets={}))


def test_a_signed_body_that_is_not_a_greenhouse_event_is_malformed() -> None:
    for body in (b"not json", b'{"payload": {}}'):
        with pytest.raises(PayloadMalformed):
            greenhouse.verify_status({"Signature": sign(body, SECRET)}, body, conn())


def test_the_signature_covers_the_escaped_unicode_exactly_as_sent() -> None:
    fake = GreenhouseFake()
    person = fake.org.new_person({"first_name": "Özlem", "last_name": "Çelik <Pflege & Co>"}, fake.now())
    application = fake.org.new_application(person["id"], {"job_id": 215725}, False, fake.now())
    body, headers = fake.webhooks.signed("candidate_stage_change", application["id"], SECRET)
    assert b"\\u00d6zlem" in body and b"\\u003cPflege \\u0026 Co\\u003e" in body
    greenhouse.verify_status(headers, body, conn())


def test_a_stage_change_to_face_to_face_is_an_interview() -> None:
    assert stages(fixture("candidate_stage_change.json")) == [
        ("38776621", ApplicationStage.interview, "Greenhouse candidate_stage_change: Face to Face")]


def test_hired_rejected_and_offer_events_map_to_our_final_stages() -> None:
    assert stages(fixture("hire_candidate.json"))[0][1] == ApplicationStage.hired
    [(_, stage, reason)] = stages(fixture("reject_candidate.json"))
    assert stage == ApplicationStage.rejected and reason.endswith("(Too Junior)")
    assert stages(fixture("offer_created.json")) == [("38776621", ApplicationStage.offer, "Greenhouse offer_created")]


def test_a_new_application_is_received_and_prospects_and_pings_move_nothing() -> None:
    assert stages(fixture("new_candidate_application.json"))[0][1] == ApplicationStage.received
    assert stages(fixture("new_prospect_application.json")) == []
    assert stages(fixture("ping.json")) == []


def test_a_customers_own_stage_names_follow_the_stage_map_then_keywords() -> None:
    body = fixture("application_updated_custom_stage.json")  # stage "Probearbeit": no default, no keyword
    assert stages(body) == []
    assert stages(body, stage_map={"probearbeit": "interview"})[0][1] == ApplicationStage.interview
    stage_id = json.loads(body)["payload"]["application"]["current_stage"]["id"]
    assert stages(body, stage_map={str(stage_id): "offer"})[0][1] == ApplicationStage.offer
    assert stage_for("Hiring Manager Review", None, {}) == ApplicationStage.in_review
    assert stage_for("Technical Interview (remote)", None, {}) == ApplicationStage.interview


# -- against the fake, through the hub ----------------------------------------------------------------------------
@pytest.fixture
def fake() -> GreenhouseFake:
    return GreenhouseFake()


def hub_with_application(ctx: Context, url: str, fake: GreenhouseFake, **settings: Any) -> tuple[str, int]:
    """A lead converted and delivered: our application id and Greenhouse's."""
    connections.create(ctx, "gh", "greenhouse", {
        "base_url": url, "token_url": f"{url}/token", "user_id": SANDBOX_USER_ID, "job_ids": {"J-7": 215725},
        "route": {"events": ["application.created"]}, **settings,
    }, {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET, "webhook_secret": SECRET})
    lead_id = capture(ctx, form_connection(ctx), samples.submission(50))
    ours = conversion.convert(ctx, lead_id, "J-7", None, Cv("cv.pdf", "application/pdf", b"%PDF-1.4 x"))
    with ctx.db.session() as session:
        delivery_id = session.scalar(select(Delivery.id).where(Delivery.subject_id == ours))
    assert delivery_id and delivery.attempt(ctx, delivery_id) == "delivered"
    [person] = fake.people()
    return ours, int(person["applications"][0]["id"])


def stage_of(ctx: Context, application_id: str) -> str:
    with ctx.db.session() as session:
        found = session.get(Application, application_id)
    assert found is not None
    return found.stage


def test_polling_moves_our_application_when_greenhouse_moved_it(
    ctx: Context, live_server: Any, fake: GreenhouseFake
) -> None:
    ours, theirs = hub_with_application(ctx, live_server(fake.app()).url, fake)
    applications.poll(ctx, "gh")
    assert stage_of(ctx, ours) == "received"  # a new application sits in "Application Review"
    fake.advance(5)
    fake.move(theirs, "Preliminary Phone Screen")
    applications.poll(ctx, "gh")
    assert stage_of(ctx, ours) == "in_review"
    fake.advance(5)
    fake.move(theirs, "Phone Interview")
    applications.poll(ctx, "gh")
    assert stage_of(ctx, ours) == "interview"
    fake.advance(5)
    fake.hire(theirs)
    applications.poll(ctx, "gh")
    assert stage_of(ctx, ours) == "hired"
    since = [path for _, path, _, _ in fake.requests if path == "/v3/applications"]
    assert len(since) == 4


def test_polling_follows_the_cursor_pages(ctx: Context, live_server: Any, fake: GreenhouseFake) -> None:
    url = live_server(fake.app()).url
    for n in range(5):
        person = fake.org.new_person({"first_name": "P", "last_name": str(n)}, fake.now())
        fake.org.new_application(person["id"], {"job_id": 215725}, False, fake.now())
    conn_view = SimpleNamespace(name="gh", settings={"base_url": url, "token_url": f"{url}/token",
                                                     "user_id": SANDBOX_USER_ID},
                                secrets={"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET})
    from connectors.sinks.greenhouse.client import Api
    from connectors.sinks.greenhouse.harvest import Harvest

    found = Harvest(Api(conn_view, requests.Session())).pages("/v3/applications", {"per_page": 2})
    assert len(found) == 5
    gets = [path for method, path, _, _ in fake.requests if path == "/v3/applications"]
    assert len(gets) == 3


def test_a_stage_web_hook_for_an_application_we_never_sent_is_stored_and_noted(
    app: Any, client: Any, fake: GreenhouseFake
) -> None:
    hub: Context = app.extensions["leadhub"]
    connections.create(hub, "gh", "greenhouse", {"user_id": SANDBOX_USER_ID},
                       {"client_id": "x", "client_secret": "y", "webhook_secret": SECRET})
    person = fake.org.new_person({"first_name": "Nicht", "last_name": "Unser"}, fake.now())
    theirs = fake.org.new_application(person["id"], {"job_id": 215725}, False, fake.now())
    body, headers = fake.webhooks.signed("candidate_stage_change", theirs["id"], SECRET)
    answer = client.post("/hooks/greenhouse/gh", data=body, headers=headers)
    assert answer.status_code == 200  # Greenhouse needs a 200 (ACK_STATUS)
    raw_id = answer.get_json()["raw_record_id"]
    assert pipeline.process(hub, raw_id).raw_records == ()
    with hub.db.session() as session:
        raw = session.get(RawRecord, raw_id)
    assert raw is not None and raw.kind == "status" and raw.error == "No known application in this status update."
    unsigned = client.post("/hooks/greenhouse/gh", data=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401


def test_the_emitter_counts_anything_but_200_as_failed_and_retries_on_greenhouses_schedule(
    live_server: Any, fake: GreenhouseFake
) -> None:
    from flask import Flask

    receiver = Flask("receiver")
    answers = [202, 200]
    receiver.add_url_rule("/hook", "hook", lambda: ("", answers.pop(0)), methods=["POST"])
    url = live_server(receiver).url + "/hook"
    person = fake.org.new_person({"first_name": "A", "last_name": "B"}, fake.now())
    theirs = fake.org.new_application(person["id"], {"job_id": 215725}, False, fake.now())
    first = fake.webhooks.send(url, "candidate_stage_change", theirs["id"], SECRET)
    assert (first.status, first.ok) == (202, False) and fake.webhooks.retry_due() == []
    fake.advance(61)
    [retry] = fake.webhooks.retry_due()
    assert (retry.status, retry.ok, retry.attempt, retry.event_id) == (200, True, 2, first.event_id)


def test_check_names_unknown_source_ids_and_stages_and_revoked_credentials(
    live_server: Any, fake: GreenhouseFake
) -> None:
    url = live_server(fake.app()).url
    base = {"base_url": url, "token_url": f"{url}/token", "user_id": SANDBOX_USER_ID}
    secrets = {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET}
    view = SimpleNamespace(name="gh", settings={**base, "source_ids": {"meta_lead_ads": 16}}, secrets=secrets)
    greenhouse.check(view, requests.Session())
    view.settings = {**base, "source_ids": {"meta_lead_ads": 99}}
    with pytest.raises(ConfigurationError, match="no source"):
        greenhouse.check(view, requests.Session())
    view.settings = {**base, "stage_map": {"Probearbeit": "trial"}}
    with pytest.raises(ConfigurationError, match="Probearbeit: trial"):
        greenhouse.check(view, requests.Session())
    view.settings = base
    fake.revoke()
    with pytest.raises(AuthExpired, match="invalid_client"):
        greenhouse.check(view, requests.Session())
    bad_user = SimpleNamespace(name="gh", settings={**base, "user_id": 1}, secrets=secrets)
    fake.issue(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)
    with pytest.raises(AuthExpired, match="refused a token for user 1"):
        greenhouse.check(bad_user, requests.Session())


def test_every_fixture_is_a_greenhouse_event_with_an_action() -> None:
    for path in FIXTURES.glob("*.json"):
        document = json.loads(path.read_bytes())
        assert "action" in document or "message" in document or "error" in document or "access_token" in document
