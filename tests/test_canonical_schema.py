"""The canonical model and its exported JSON Schema (the public contract for vendors)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from core.schema import (
    APPLICATION_TRANSITIONS,
    LEAD_TRANSITIONS,
    SCHEMA_VERSION,
    ApplicationStage,
    Lead,
    LeadStage,
    Person,
)
from sync.cli import main


def test_lead_stages_follow_the_funnel() -> None:
    assert [s.value for s in LeadStage] == ["captured", "qualified", "disqualified", "activated", "converted"]
    assert LEAD_TRANSITIONS[LeadStage.captured] == {LeadStage.qualified, LeadStage.disqualified, LeadStage.converted}
    assert LEAD_TRANSITIONS[LeadStage.converted] == set()


def test_application_stages_end_in_hired_rejected_or_withdrawn() -> None:
    finals = {s for s, nxt in APPLICATION_TRANSITIONS.items() if not nxt}
    assert finals == {ApplicationStage.hired, ApplicationStage.rejected, ApplicationStage.withdrawn}


def test_unknown_fields_and_bad_emails_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        Person(first_name="Jürgen", nickname="Jü")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="email"):
        Person(email="not-an-email")


def test_platform_ids_stay_strings() -> None:
    lead = Lead(
        source="google_ads_lead_forms", external_id="9007199254740993", captured_at=datetime.now(UTC), person=Person()
    )
    assert lead.model_dump(mode="json")["external_id"] == "9007199254740993"


def test_schema_export_writes_a_versioned_json_schema(tmp_path: Path) -> None:
    out = tmp_path / "canonical.json"
    result = CliRunner().invoke(main, ["schema", "export", "--output", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["version"] == SCHEMA_VERSION
    assert SCHEMA_VERSION in document["$id"]
    for name in ("Person", "Lead", "Application", "Job", "Consent", "Attribution", "Answer"):
        assert name in document["$defs"]
    consent = document["$defs"]["Consent"]["properties"]
    assert {"purpose", "granted", "text", "text_version", "given_at", "source"} <= set(consent)
