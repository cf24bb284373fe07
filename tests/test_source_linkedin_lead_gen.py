"""linkedin_lead_gen pulls: the manifest against the LinkedIn fake over real HTTP, then the pipeline maps the leads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.sources import linkedin_lead_gen
from connectors.sources.linkedin_lead_gen.fake import FakeLinkedIn
from core.context import Context
from core.models import Lead, Person, RawRecord
from sync import connections, pipeline, pull
from tests import source_parity

FAKE_TODAY = date(2026, 11, 26)  # the fake's calendar for version sunsets; leads are placed relative to the real clock
NAME = "li-ads"
FIXTURES = Path(linkedin_lead_gen.__file__).parent / "fixtures"


@dataclass
class Sandbox:
    fake: FakeLinkedIn
    url: str


def days_ago_ms(days: float) -> int:
    """A submittedAt in the past: a sync reads up to now truncated to the second, so "just now" may miss it."""
    return int((datetime.now(UTC) - timedelta(days=days)).timestamp() * 1000)


def make_connection(
    ctx: Context, url: str, name: str = NAME, secrets: dict[str, str] | None = None, **settings: Any
) -> None:
    base = {
        "base_url": url,
        "sponsored_account_id": "5123456",
        "start_date": (datetime.now(UTC) - timedelta(days=60)).strftime("%Y-%m-%d"),
        "page_size": 5,
        "backoff_factor_s": 0.01,
    }
    creds = secrets or {"access_token": "fake-access-token", "client_secret": "fake-client-secret"}
    connections.create(ctx, name, "linkedin_lead_gen", {**base, **settings}, creds)


@pytest.fixture
def linkedin(ctx: Context, live_server: Any) -> Sandbox:
    fake = FakeLinkedIn(today=FAKE_TODAY)
    server = live_server(fake.app())
    make_connection(ctx, server.url)
    return Sandbox(fake, server.url)


def count(ctx: Context, model: Any) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def process_all(ctx: Context, dispatcher: Any) -> None:
    while dispatcher.raw:
        pipeline.process(ctx, dispatcher.raw.pop(0))


def lead_by_urn(ctx: Context, urn: str) -> tuple[Lead, Person]:
    with ctx.db.session() as session:
        lead = session.scalar(select(Lead).where(Lead.external_id == urn))
        assert lead is not None, f"no lead {urn}"
        person = session.get(Person, lead.person_id)
        assert person is not None
        return lead, person


def submitted(fake: FakeLinkedIn, lead: dict[str, Any], predefined: str) -> str:
    """What the fake's member typed for a predefined question, read through the lead's own form version."""
    form_id, version = lead["versionedLeadGenFormUrn"].rsplit("leadGenForm:", 1)[1].rstrip(")").split(",")
    questions = fake.form(int(form_id), int(version))["content"]["questions"]
    qid = next(q["questionId"] for q in questions if q.get("predefinedField") == predefined)
    item = next(a for a in lead["formResponse"]["answers"] if a["questionId"] == qid)
    return str(item["answerDetails"]["textQuestionAnswer"]["answer"])


def test_full_sync_reads_every_page_and_maps_each_lead_through_its_form_version(
    ctx: Context, linkedin: Sandbox, dispatcher: Any
) -> None:
    old = linkedin.fake.add_leads(7, at_ms=days_ago_ms(20), version=1)
    new = linkedin.fake.add_leads(5, at_ms=days_ago_ms(10), version=2)
    result = pull.run(ctx, NAME)
    assert (result.records, result.stored) == (12, 12)
    pages = [p for p in linkedin.fake.requests if p.startswith("/rest/leadFormResponses")]
    assert [("start=5" in p, "start=10" in p) for p in pages] == [(False, False), (True, False), (False, True)]
    process_all(ctx, dispatcher)
    assert count(ctx, Lead) == 12
    for raw in (old[0], new[0]):  # v1 and v2 number their questions differently; both must map
        lead, person = lead_by_urn(ctx, f"urn:li:leadGenFormResponse:{raw['id']}")
        assert person.email == submitted(linkedin.fake, raw, "EMAIL")
        assert person.first_name == submitted(linkedin.fake, raw, "FIRST_NAME")
        assert person.last_name == submitted(linkedin.fake, raw, "LAST_NAME")
        assert person.phone is not None and person.phone.startswith("+49")
        assert lead.platform_lead_key == lead.external_id == f"urn:li:leadGenFormResponse:{raw['id']}"
        assert lead.channel == "linkedin"


def test_every_request_carries_both_version_headers_and_restli_tuples(ctx: Context, linkedin: Sandbox) -> None:
    linkedin.fake.add_leads(2, at_ms=days_ago_ms(3))
    pull.run(ctx, NAME)  # the fake refuses any request without LinkedIn-Version 202610 and Rest.li 2.0.0
    first = next(p for p in linkedin.fake.requests if p.startswith("/rest/leadFormResponses"))
    assert "owner=(sponsoredAccount:urn%3Ali%3AsponsoredAccount%3A5123456)" in first
    assert "leadType=(leadType:SPONSORED)" in first and "limitedToTestLeads=false" in first
    assert "submittedAtTimeRange=(start:" in first and "form:(hiddenFields,creationLocale,name,id,content)" in first


def test_paging_stops_after_the_last_page_by_paging_total(ctx: Context, linkedin: Sandbox) -> None:
    linkedin.fake.add_leads(10, at_ms=days_ago_ms(5))
    assert pull.run(ctx, NAME).stored == 10
    pages = [p for p in linkedin.fake.requests if p.startswith("/rest/leadFormResponses")]
    assert len(pages) == 2  # 5 + 5 = total 10: no third, empty request


def test_incremental_sync_from_saved_state_reads_only_new_leads(ctx: Context, linkedin: Sandbox) -> None:
    linkedin.fake.add_leads(5, at_ms=days_ago_ms(9))
    assert pull.run(ctx, NAME).stored == 5
    linkedin.fake.add_leads(2, at_ms=days_ago_ms(1))
    linkedin.fake.requests.clear()
    second = pull.run(ctx, NAME)
    assert second.stored == 2
    assert second.skipped_known == second.records - 2  # the 1 h lookback re-reads, leadhub skips known ids
    window = next(p for p in linkedin.fake.requests if p.startswith("/rest/leadFormResponses"))
    start_ms = int(window.split("submittedAtTimeRange=(start:")[1].split(",")[0])
    assert start_ms > days_ago_ms(9) - 3_600_000  # from the saved cursor (minus the 1 h lookback), not start_date
    assert count(ctx, RawRecord) == 7


def test_consents_attribution_hidden_fields_and_custom_answers_are_mapped(
    ctx: Context, linkedin: Sandbox, dispatcher: Any
) -> None:
    raw = linkedin.fake.add_leads(1, at_ms=days_ago_ms(1), version=2)[0]
    pull.run(ctx, NAME)
    process_all(ctx, dispatcher)
    lead, _ = lead_by_urn(ctx, f"urn:li:leadGenFormResponse:{raw['id']}")
    data = lead.data
    attribution = data["attribution"]
    assert attribution == {
        "channel": "linkedin",
        "account_id": "5123456",
        "campaign_id": raw["leadMetadata"]["sponsoredLeadMetadata"]["campaign"].rsplit(":", 1)[1],
        "campaign_name": attribution["campaign_name"],
        "ad_id": raw["associatedEntity"]["associatedCreative"].rsplit(":", 1)[1],
        "form_id": "7430001",
        "form_name": "Pflege – Kontakt",
        "utm_source": "linkedin",
        "utm_medium": "paid_social",
        "utm_campaign": "pflege-herbst-2026",
    }
    assert attribution["campaign_name"] in {"Pflegefachkräfte Herbst 2026", "IT-Talente Q4 2026"}
    assert lead.campaign == attribution["campaign_name"]
    answers = {a["key"]: a for a in data["answers"]}
    assert answers["job_title"]["value"] == submitted(linkedin.fake, raw, "JOB_TITLE")
    assert answers["2707430001"]["label"] == "Wie viele Jahre Berufserfahrung hast du?"
    shifts = answers["2807430001"]["value"]
    assert set([shifts] if isinstance(shifts, str) else shifts) <= {"Früh", "Spät", "Nacht"}
    assert "email" not in answers and "first_name" not in answers  # contact data lives on the person only
    consents = {c["platform_key"]: c for c in data["consents"]}  # renamed by the LinkedIn consent-purpose defaults
    assert consents["linkedin_consent_0"]["purpose"] == "recruiting_contact"
    assert consents["linkedin_consent_0"]["granted"] is True
    assert consents["linkedin_consent_0"]["text"].startswith("Ich bin einverstanden")
    assert consents["linkedin_consent_1"]["granted"] is raw["formResponse"]["consentResponses"][1]["accepted"]
    assert consents["linkedin_consent_0"]["text_version"] == raw["versionedLeadGenFormUrn"]
    assert consents["linkedin_consent_0"]["source"] == "linkedin"
    assert lead.captured_at.timestamp() * 1000 == pytest.approx(raw["submittedAt"], abs=1000)


def test_translated_labels_do_not_change_the_mapping(ctx: Context, linkedin: Sandbox, dispatcher: Any) -> None:
    form = linkedin.fake.form(7430001, 2)
    form["creationLocale"] = {"country": "ES", "language": "es"}
    for question in form["content"]["questions"]:
        question["question"] = {"localized": {"es_ES": f"Pregunta {question['questionId']}"}}
        question["name"] = "traducido"
    raw = linkedin.fake.add_leads(1, at_ms=days_ago_ms(1), version=2)[0]
    pull.run(ctx, NAME)
    process_all(ctx, dispatcher)
    lead, person = lead_by_urn(ctx, f"urn:li:leadGenFormResponse:{raw['id']}")
    assert person.email == submitted(linkedin.fake, raw, "EMAIL")
    assert {a["key"] for a in lead.data["answers"]} >= {"job_title", "2707430001"}
    assert next(a for a in lead.data["answers"] if a["key"] == "2707430001")["label"] == "Pregunta 2707430001"


def test_test_leads_are_kept_and_marked_as_tests(ctx: Context, linkedin: Sandbox, dispatcher: Any) -> None:
    real = linkedin.fake.add_leads(1, at_ms=days_ago_ms(2))[0]
    preview = linkedin.fake.add_leads(1, at_ms=days_ago_ms(1), test=True)[0]
    pull.run(ctx, NAME)
    process_all(ctx, dispatcher)
    assert lead_by_urn(ctx, f"urn:li:leadGenFormResponse:{real['id']}")[0].is_test is False
    assert lead_by_urn(ctx, f"urn:li:leadGenFormResponse:{preview['id']}")[0].is_test is True


def test_a_recorded_page_flattens_answers_by_predefined_field_and_question_id() -> None:
    from connectors.sources.linkedin_lead_gen.flatten import flatten

    page = json.loads((FIXTURES / "lead_form_responses_page.json").read_text(encoding="utf-8"))
    newest, older = (flatten(dict(element)) for element in page["elements"])
    assert newest["urn"] == "urn:li:leadGenFormResponse:92276658-1e27-a1c0-8a6a-63ec24ede6a4-5"
    assert set(newest["fields"]) == {"FIRST_NAME", "LAST_NAME", "EMAIL", "PHONE_NUMBER", "CITY", "JOB_TITLE"}
    assert [a["key"] for a in newest["answers"]] == ["job_title", "2707430001", "2807430001"]  # form version 2
    assert [a["key"] for a in older["answers"]] == ["job_title", "1707430001"]  # form version 1
    assert newest["hidden"] == {
        "utm_source": "linkedin",
        "utm_medium": "paid_social",
        "utm_campaign": "pflege-herbst-2026",
    }
    assert newest["consents"][0]["purpose"] == "linkedin_consent_0" and newest["consents"][0]["granted"] is True


def test_in_process_pull_stores_what_the_manifest_jinja_gives_for_every_form_version(
    ctx: Context, linkedin: Sandbox
) -> None:
    """leadhub's pull swaps the manifest's Jinja join for flatten.py (in_process.py); as Airbyte runs the manifest
    it must give the very same records, for every form and version the fake serves (choices, hidden fields,
    consents given or not)."""
    for n, form in enumerate(linkedin.fake.forms):
        linkedin.fake.add_leads(3, at_ms=days_ago_ms(20 - n), form_id=form["id"], version=form["versionId"])
    pull.run(ctx, NAME)
    pulled = source_parity.stored_records(ctx)
    assert len(pulled) == 3 * len(linkedin.fake.forms) and source_parity.airbyte_records(ctx, NAME) == pulled
    assert any(r["answers"] for r in pulled.values()) and any(r["consents"] for r in pulled.values())
    definition = pull.manifest_for(linkedin_lead_gen)["definitions"]["flatten"]
    assert [step["type"] for step in definition] == ["CustomTransformation"]
