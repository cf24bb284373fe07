"""Qualification rules: every operator, all/any, score, the deciding rule recorded, stages and events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from core.context import Context
from core.models import Event, Lead, StageChange
from core.schema import Answer, Consent
from core.schema import Lead as CanonicalLead
from core.schema import Person as CanonicalPerson
from mappings.qualify import RuleSet, evaluate
from sync import connections, pipeline
from tests.helpers import SIGNING_SECRET, encode
from webhooks import inbox


def lead(**person: Any) -> CanonicalLead:
    return CanonicalLead(
        source="form_webhook",
        external_id="1",
        captured_at=datetime(2026, 11, 20, tzinfo=UTC),
        person=CanonicalPerson(**person),
        answers=[
            Answer(key="experience_years", value="4"),
            Answer(key="start", value="2027-01-15"),
            Answer(key="skills", value=["pflege", "intensiv"]),
        ],
        consents=[Consent(purpose="recruiting_contact", granted=True)],
    )


def rules(*checks: dict[str, Any], combine: str = "all") -> RuleSet:
    return RuleSet.model_validate({"rules": [{"name": "r", "when": {combine: list(checks)}, "outcome": "qualified"}]})


@pytest.mark.parametrize(
    ("check", "matches"),
    [
        ({"field": "person.city", "op": "equals", "value": "Köln"}, True),
        ({"field": "person.city", "op": "not_equals", "value": "Köln"}, False),
        ({"field": "person.city", "op": "in", "value": ["Bonn", "Köln"]}, True),
        ({"field": "person.email", "op": "contains", "value": "@EXAMPLE"}, True),
        ({"field": "person.phone", "op": "regex", "value": r"^\+49"}, True),
        ({"field": "answers[key=experience_years].value", "op": "gte", "value": 2}, True),
        ({"field": "answers[key=experience_years].value", "op": "lt", "value": 4}, False),
        ({"field": "answers[key=start].value", "op": "gt", "value": "2026-12-31"}, True),
        ({"field": "answers[key=skills].value", "op": "contains", "value": "intensiv"}, True),
        ({"field": "person.postcode", "op": "exists"}, False),
        ({"field": "person.postcode", "op": "not_exists"}, True),
        ({"field": "person.city", "op": "gt", "value": 3}, False),  # text vs number: the rule does not apply
    ],
)
def test_each_operator(check: dict[str, Any], matches: bool) -> None:
    decision = evaluate(rules(check), lead(city="Köln", email="a@example.org", phone="+4915112345678"))
    assert (decision.outcome == "qualified") is matches


def test_any_needs_one_and_all_needs_every() -> None:
    yes = {"field": "person.city", "op": "equals", "value": "Köln"}
    no = {"field": "person.city", "op": "equals", "value": "Bonn"}
    person = {"city": "Köln"}
    assert evaluate(rules(yes, no, combine="any"), lead(**person)).outcome == "qualified"
    assert evaluate(rules(yes, no, combine="all"), lead(**person)).outcome == "needs_review"


def test_scores_add_up_and_the_first_deciding_rule_is_recorded() -> None:
    ruleset = RuleSet.model_validate(
        {
            "rules": [
                {
                    "name": "experienced",
                    "when": {"all": [{"field": "answers[key=experience_years].value", "op": "gte", "value": 3}]},
                    "score": 5,
                },
                {
                    "name": "in-region",
                    "when": {"all": [{"field": "person.city", "op": "equals", "value": "Köln"}]},
                    "score": 3,
                    "outcome": "qualified",
                },
                {
                    "name": "catch-all",
                    "when": {"all": [{"field": "source", "op": "exists"}]},
                    "outcome": "disqualified",
                },
            ]
        }
    )
    decision = evaluate(ruleset, lead(city="Köln"))
    assert (decision.outcome, decision.rule, decision.score) == ("qualified", "in-region", 8.0)
    assert decision.matched == ("experienced", "in-region", "catch-all")


def test_a_rule_with_an_operator_but_no_value_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a value"):
        rules({"field": "person.city", "op": "equals"})


def test_default_rules_qualify_contact_with_consent_and_disqualify_refusals() -> None:
    default = RuleSet.load()
    assert evaluate(default, lead(email="a@example.org")).rule == "contact-data-and-consent"
    refused = lead(email="a@example.org")
    refused.consents = [Consent(purpose="recruiting_contact", granted=False)]
    assert evaluate(default, refused).outcome == "disqualified"
    assert evaluate(default, lead()).rule == "no-contact-data"


def test_a_qualified_lead_moves_stage_with_a_timestamp_and_an_event(ctx: Context) -> None:
    conn = connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
    body = {
        "submission_id": "q1",
        "fields": {"email": "q@example.org"},
        "consents": [{"purpose": "recruiting_contact", "granted": True}],
    }
    outcome = pipeline.process(ctx, inbox.store(ctx, conn.id, "form_webhook", encode(body), "q1"))
    with ctx.db.session() as session:
        row = session.get(Lead, outcome.lead_id)
        changes = session.scalars(
            select(StageChange).where(StageChange.subject_id == row.id).order_by(StageChange.at)
        ).all()
        events = session.scalars(select(Event.type).where(Event.subject_id == row.id)).all()
    assert (row.stage, row.decided_by_rule, row.score) == ("qualified", "contact-data-and-consent", 10.0)
    assert [(c.from_stage, c.to_stage) for c in changes] == [(None, "captured"), ("captured", "qualified")]
    assert sorted(events) == ["lead.captured", "lead.qualified"]
