"""The event catalogue: committed JSON Schemas match the models, and real emitted bodies validate against them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from sqlalchemy import select

from admin import apikeys
from connectors.sources.form_webhook import samples
from core.context import Context
from core.models import Application, Delivery, HubSetting, Lead
from core.schema import ApplicationStage
from mappings import merge
from sync import applications, connections, conversion, notices, pipeline, requalify
from sync.cli import main
from tests.helpers import SIGNING_SECRET, encode
from webhooks import endpoints, event_schemas, inbox
from webhooks.event_models import EVENT_MODELS
from webhooks.events import EVENT_TYPES

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "docs" / "schemas" / "events"
DOCS = ROOT / "docs" / "events.md"
RESERVED = {"person.erased"}  # in the catalogue for subscriptions, not sent yet


def validator(event_type: str) -> Draft202012Validator:
    document = json.loads((SCHEMAS / event_schemas.filename(event_type)).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(document)
    return Draft202012Validator(document, format_checker=Draft202012Validator.FORMAT_CHECKER)


def problems(event_type: str, body: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(event_type).iter_errors(body)]


def test_every_event_type_but_the_reserved_ones_has_a_model() -> None:
    assert set(EVENT_MODELS) == set(EVENT_TYPES) - RESERVED


def test_the_committed_schema_files_are_what_the_models_generate() -> None:
    committed = {p.name for p in SCHEMAS.glob("*.json")}
    assert committed == {event_schemas.filename(t) for t in EVENT_MODELS}, (
        "docs/schemas/events/ is out of date: run `leadhub schema export --events docs/schemas/events`"
    )
    stale = [
        t for t in EVENT_MODELS if (SCHEMAS / event_schemas.filename(t)).read_text("utf-8") != event_schemas.render(t)
    ]
    assert not stale, f"stale schema files for {stale}: run `leadhub schema export --events docs/schemas/events`"


def test_schema_export_writes_one_file_per_event_type(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schema", "export", "--events", str(tmp_path / "events")])
    assert result.exit_code == 0, result.output
    assert "Wrote 7 event schemas" in result.output
    for event_type in EVENT_MODELS:
        written = (tmp_path / "events" / f"{event_type}.json").read_text("utf-8")
        assert written == event_schemas.render(event_type)


def test_an_unknown_event_type_has_no_schema_and_says_which_exist() -> None:
    with pytest.raises(ValueError, match=r"known: lead\.captured"):
        event_schemas.document("lead.exploded")


def emit_every_event(ctx: Context) -> None:
    """Drive each code path that emits an event, as the running hub would."""
    conn = connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
    endpoint, _ = endpoints.create(ctx, "everything", "https://vendor.example/hooks", ["*"])

    def capture(document: dict[str, Any]) -> str:
        lead_id = pipeline.process(ctx, inbox.store(ctx, conn.id, "form_webhook", encode(document))).lead_id
        assert lead_id
        return lead_id

    qualified = capture(samples.submission(1, prefix="a"))  # lead.captured + lead.qualified
    other = capture(samples.submission(2, prefix="b"))
    waiting = capture({"submission_id": "w1", "fields": {"email": "w1@example.org", "first_name": "Wera"}})
    with ctx.db.transaction() as session:
        one, two = session.get(Lead, qualified), session.get(Lead, other)
        assert one is not None and two is not None and one.person_id != two.person_id
        merge.merge(session, one.person_id, two.person_id, evidence={"test": True})  # person.merged
    cv = conversion.Cv("cv.pdf", "application/pdf", b"%PDF-1.4\n% invented\n")
    application_id = conversion.convert(ctx, qualified, "J-7", "Pflegefachkraft", cv)  # application.created
    with ctx.db.transaction() as session:
        application = session.get(Application, application_id)
        assert application is not None
        applications.move(session, application, ApplicationStage.interview, "test")  # application.status_changed
    with ctx.db.transaction() as session:
        session.add(HubSetting(key=pipeline.RULES_KEY, value=everyone_with_email_qualifies()))
    pipeline.forget_rules()
    assert requalify.run(ctx)["qualified"] >= 1  # lead.qualified from stored data
    with ctx.db.transaction() as session:
        row = session.get(Lead, waiting)
        assert row is not None and row.stage == "qualified"
        notices.delete_lead(session, conn.id, row.external_id)  # lead.deleted
    endpoints.send_test(ctx, endpoint.id)  # endpoint.test


def everyone_with_email_qualifies() -> dict[str, Any]:
    return {
        "rules": [
            {"name": "email", "when": {"all": [{"field": "person.email", "op": "exists"}]}, "outcome": "qualified"}
        ]
    }


def test_real_emitted_bodies_validate_against_their_schema(ctx: Context) -> None:
    emit_every_event(ctx)
    with ctx.db.session() as session:
        bodies = [json.loads(b) for b in session.scalars(select(Delivery.body).where(Delivery.sink == "webhook"))]
    seen: dict[str, int] = {}
    for body in bodies:
        assert problems(body["type"], body) == [], body["type"]
        seen[body["type"]] = seen.get(body["type"], 0) + 1
    assert set(seen) == set(EVENT_MODELS)  # every model was exercised by a real emission
    assert seen["lead.qualified"] == 3  # two from the pipeline, one from requalify


def test_lead_qualified_from_requalify_carries_the_person_id_like_the_pipeline_one(ctx: Context) -> None:
    emit_every_event(ctx)
    with ctx.db.session() as session:
        bodies = [json.loads(b) for b in session.scalars(select(Delivery.body).where(Delivery.sink == "webhook"))]
    qualified = [b["data"] for b in bodies if b["type"] == "lead.qualified"]
    assert len(qualified) == 3
    for data in qualified:
        assert data["person_id"].startswith("per_") and data["stage"] == "qualified"
        assert {"id", "person_id", "person", "source", "external_id", "captured_at"} <= set(data)


def test_a_payload_outside_the_schema_is_refused() -> None:
    body = {"type": "lead.deleted", "timestamp": "2026-11-26T10:58:06Z", "data": {"id": "lead_1", "source": "x"}}
    assert any("person_id" in p for p in problems("lead.deleted", body))
    wrong_stage = {
        "type": "application.status_changed",
        "timestamp": "2026-11-26T10:58:06Z",
        "data": {"id": "app_1", "person_id": "per_1", "from_stage": "received", "stage": "hired!"},
    }
    assert any("stage" in p for p in problems("application.status_changed", wrong_stage))


def doc_examples() -> dict[str, dict[str, Any]]:
    text = DOCS.read_text(encoding="utf-8")
    examples = {}
    for block in re.findall(r"```json\n(.*?)```", text, re.S):
        body = json.loads(block)
        examples[body["type"]] = body
    return examples


def test_docs_list_every_event_with_a_valid_example_and_a_link_to_its_schema() -> None:
    examples = doc_examples()
    text = DOCS.read_text(encoding="utf-8")
    assert set(examples) == set(EVENT_MODELS)
    for event_type, body in examples.items():
        assert problems(event_type, body) == [], event_type
        assert f"](schemas/events/{event_type}.json)" in text
        assert EVENT_TYPES[event_type] in text


def test_the_api_serves_the_catalogue_with_the_committed_schemas(client: Any, app: Any) -> None:
    ctx: Context = app.extensions["leadhub"]
    key = apikeys.create(ctx, "reader", "viewer")[1]
    assert client.get("/api/v1/events/catalogue").status_code == 401
    response = client.get("/api/v1/events/catalogue", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    items = {item["type"]: item for item in response.get_json()["items"]}
    assert set(items) == set(EVENT_TYPES)
    assert items["person.erased"]["schema"] is None
    for event_type in EVENT_MODELS:
        committed = json.loads((SCHEMAS / event_schemas.filename(event_type)).read_text("utf-8"))
        assert items[event_type]["schema"] == committed
        assert items[event_type]["description"] == EVENT_TYPES[event_type]
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "/api/v1/events/catalogue" in paths or "/events/catalogue" in paths
