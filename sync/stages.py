"""Stage changes of leads: checked against the funnel, timestamped, and announced as events."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.ids import new_id
from core.models import Lead, StageChange, utcnow
from core.schema import LEAD_TRANSITIONS, LeadStage
from core.schema import Lead as CanonicalLead
from mappings.qualify import Decision
from sync import funnel_counts, outbox
from webhooks.event_models import LeadCaptured, LeadQualified

STAGE_EVENTS: dict[LeadStage, type[LeadCaptured]] = {LeadStage.qualified: LeadQualified}


def activate(session: Session, lead: Lead, reason: str) -> list[str]:
    """The lead engaged after capture (opened its application link, the CRM reports progress, an API call)."""
    return move_lead(session, lead, LeadStage.activated, reason)


def move_lead(
    session: Session, lead: Lead, to: LeadStage, reason: str, canonical: CanonicalLead | None = None
) -> list[str]:
    """Move a lead to ``to`` if the funnel allows it; returns the deliveries its event caused.

    ``canonical`` is the lead's canonical form when the caller has it (else read from the stored lead)."""
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
    model = STAGE_EVENTS.get(to)
    if model is None:
        return []
    if canonical is None:
        canonical = CanonicalLead.model_validate({**lead.data, "stage": to.value})
    data = model.build(canonical, lead.id, lead.person_id, to)
    return outbox.emit(session, data.event_type, "lead", lead.id, data.dump())


def apply_decision(session: Session, lead: Lead, decision: Decision, canonical: CanonicalLead) -> list[str]:
    """Record the qualification result on the lead and move it when a rule decided."""
    lead.score, lead.decided_by_rule = decision.score, decision.rule
    if decision.outcome == "needs_review":
        return []
    reason = f"rule {decision.rule} (score {decision.score:g})"
    return move_lead(session, lead, LeadStage(decision.outcome), reason, canonical)
