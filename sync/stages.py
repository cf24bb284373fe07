"""Stage changes of leads: checked against the funnel, timestamped, and announced as events."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.ids import new_id
from core.models import Lead, StageChange, utcnow
from core.schema import LEAD_TRANSITIONS, LeadStage
from mappings.qualify import Decision
from sync import funnel_counts, outbox

STAGE_EVENTS = {LeadStage.qualified: "lead.qualified"}


def activate(session: Session, lead: Lead, reason: str) -> list[str]:
    """The lead engaged after capture (opened its application link, the CRM reports progress, an API call)."""
    return move_lead(session, lead, LeadStage.activated, reason, {"id": lead.id, "person_id": lead.person_id})


def move_lead(session: Session, lead: Lead, to: LeadStage, reason: str, event_data: dict[str, Any]) -> list[str]:
    """Move a lead to ``to`` if the funnel allows it; returns the deliveries its event caused."""
    current = LeadStage(lead.stage)
    if to == current or to not in LEAD_TRANSITIONS[current]:
        return []
    now = utcnow()
    session.add(
        StageChange(
            id=new_id("stg"),
            subject_type="lead",
            subject_id=lead.id,
            from_stage=current.value,
            to_stage=to.value,
            reason=reason,
            at=now,
        )
    )
    funnel_counts.move(session, lead, current.value, to.value)
    lead.stage, lead.stage_changed_at = to.value, now
    event = STAGE_EVENTS.get(to)
    if event is None:
        return []
    return outbox.emit(session, event, "lead", lead.id, {**event_data, "stage": to.value})


def apply_decision(session: Session, lead: Lead, decision: Decision, event_data: dict[str, Any]) -> list[str]:
    """Record the qualification result on the lead and move it when a rule decided."""
    lead.score, lead.decided_by_rule = decision.score, decision.rule
    if decision.outcome == "needs_review":
        return []
    reason = f"rule {decision.rule} (score {decision.score:g})"
    return move_lead(session, lead, LeadStage(decision.outcome), reason, event_data)
