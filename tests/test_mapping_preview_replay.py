"""Preview a draft mapping on stored records; publish and replay without calling the platform; export."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

from click.testing import CliRunner
from sqlalchemy import func, insert, select

from connectors.sources import form_webhook
from connectors.sources.form_webhook import samples
from core.context import Context
from core.ids import new_id
from core.models import Lead, MappingVersion, Person, RawRecord, utcnow
from core.settings import Settings
from mappings import preview, replay, versions
from mappings.spec import MappingSpec
from sync import connections, export, pipeline, requalify
from sync.cli import main
from tests.helpers import SIGNING_SECRET, encode
from webhooks import inbox


def careers(ctx: Context) -> Any:
    return connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET})


def draft_with_upper_city() -> MappingSpec:
    spec = form_webhook.default_mapping().model_dump()
    spec["fields"]["person.city"]["transforms"] = ["trim", "upper"]
    return MappingSpec.model_validate(spec)


def test_preview_shows_mapped_output_and_every_error_by_field(ctx: Context) -> None:
    conn = careers(ctx)
    good = samples.submission(1)
    bad = {"submission_id": "b1", "fields": {"email": "kein-at", "postcode": "1O115"}}
    inbox.store(ctx, conn.id, "form_webhook", encode(good), "demo-0000001")
    time.sleep(0.01)
    inbox.store(ctx, conn.id, "form_webhook", encode(bad), "b1")
    spec = form_webhook.default_mapping().model_dump()
    spec["fields"]["person.postcode"]["transforms"] = ["postcode:DE"]
    with ctx.db.session() as session:
        rows = preview.preview(session, conn.id, "form_webhook", MappingSpec.model_validate(spec), limit=5)
    newest, older = rows
    assert newest.mapped is None
    assert {e.field for e in newest.errors} == {"person.postcode", "person.email"}
    assert older.mapped is not None and older.mapped["person"]["city"] == good["fields"]["city"]
    assert older.raw["submission_id"] == "demo-0000001"


def test_replay_of_ten_thousand_stored_records_uses_the_new_version(ctx: Context) -> None:
    conn = careers(ctx)
    now = utcnow()
    with ctx.db.transaction() as session:
        v1 = versions.published(session, session.get(type(conn), conn.id))
        persons, raws, leads = [], [], []
        for n in range(10_000):
            record = samples.submission(n, prefix="r")
            pid, rid, lid = new_id("per"), new_id("raw"), new_id("lead")
            persons.append({"id": pid, "city": record["fields"]["city"], "created_at": now, "updated_at": now})
            raws.append(
                {
                    "id": rid,
                    "connection_id": conn.id,
                    "source": "form_webhook",
                    "kind": "record",
                    "external_id": record["submission_id"],
                    "received_at": now,
                    "body": encode(record),
                    "status": "processed",
                    "lead_id": lid,
                }
            )
            leads.append(
                {
                    "id": lid,
                    "person_id": pid,
                    "connection_id": conn.id,
                    "source": "form_webhook",
                    "external_id": record["submission_id"],
                    "raw_record_id": rid,
                    "mapping_version_id": v1.id,
                    "stage": "qualified",
                    "stage_changed_at": now,
                    "captured_at": now,
                    "is_test": False,
                    "data": {"external_id": record["submission_id"]},
                    "created_at": now,
                }
            )
        session.execute(insert(Person), persons)
        session.execute(insert(RawRecord), raws)
        session.execute(insert(Lead), leads)
    version = replay.publish(ctx, conn.id, draft_with_upper_city())
    result = replay.replay(ctx, conn.id, version)  # its speed is measured in bench/, not asserted here
    assert (result.updated, result.failed) == (10_000, 0)
    with ctx.db.session() as session:
        assert (
            session.scalar(select(func.count()).select_from(Lead).where(Lead.mapping_version_id == version.id))
            == 10_000
        )
        sample = session.scalar(select(Lead).limit(1))
        person = session.get(Person, sample.person_id)
        assert sample.data["person"]["city"] == sample.data["person"]["city"].upper()
        assert sample.data["mapping_version"] == 2 and sample.stage == "qualified"
        assert person.city == person.city.upper()


def test_replay_queues_records_that_failed_under_the_old_mapping(ctx: Context, dispatcher: Any) -> None:
    conn = careers(ctx)
    raw_id = inbox.store(
        ctx,
        conn.id,
        "form_webhook",
        encode({"submission_id": "x", "fields": {"email": "kaputt", "phone": "0151 2345678"}}),
    )
    assert pipeline.process(ctx, raw_id).status == "failed"
    spec = form_webhook.default_mapping().model_dump()
    del spec["fields"]["person.email"]  # the new version ignores the broken column
    dispatcher.raw.clear()
    result = replay.replay(ctx, conn.id, replay.publish(ctx, conn.id, MappingSpec.model_validate(spec)))
    assert result.created_again == 1 and dispatcher.raw == [raw_id]
    outcome = pipeline.process(ctx, raw_id)
    assert outcome.status == "created"
    with ctx.db.session() as session:
        lead = session.get(Lead, outcome.lead_id)
        assert session.get(MappingVersion, lead.mapping_version_id).version == 2


def test_rules_apply_re_evaluates_open_leads(ctx: Context, settings: Settings, tmp_path: Any) -> None:
    conn = careers(ctx)
    lead_id = pipeline.process(ctx, inbox.store(ctx, conn.id, "form_webhook", encode(samples.submission(3)))).lead_id
    strict = tmp_path / "rules.yaml"
    strict.write_text(
        "rules:\n- name: only-berlin\n  when: {all: [{field: person.city, op: not_equals, value: Berlin}]}"
        "\n  outcome: disqualified\n"
    )
    ctx.settings = settings.model_copy(update={"rules_path": strict})
    counts = requalify.run(ctx)
    with ctx.db.session() as session:
        lead = session.get(Lead, lead_id)
    expected = "qualified" if samples.submission(3)["fields"]["city"] == "Berlin" else "disqualified"
    assert lead.stage == expected
    assert counts["moved"] == (expected == "disqualified")


def test_export_writes_every_lead_with_its_lineage(ctx: Context, settings: Settings) -> None:
    conn = careers(ctx)
    for n in range(3):
        pipeline.process(ctx, inbox.store(ctx, conn.id, "form_webhook", encode(samples.submission(n, prefix="e"))))
    out = io.StringIO()
    assert export.write(ctx, out, "csv") == 3
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {r["external_id"] for r in rows} == {"e-0000000", "e-0000001", "e-0000002"}
    assert all(r["connection"] == "careers" and r["mapping_version"] == "1" and r["person_id"] for r in rows)
    result = CliRunner().invoke(main, ["export", "leads", "--format", "jsonl"], env=settings.as_env())
    assert result.exit_code == 0, result.output
    assert len([json.loads(line) for line in result.output.splitlines() if line.startswith("{")]) == 3
