"""Re-evaluate open leads against the current qualification rules (after the rules changed)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from core.context import Context
from core.models import Lead
from core.schema import Lead as CanonicalLead
from mappings import qualify
from sync import pipeline, stages

OPEN_STAGES = ("captured", "qualified", "disqualified")
BATCH = 500


def run(ctx: Context, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Returns how many leads each outcome now has; moves stages (with events) where a rule decides."""
    rules = pipeline.rules(ctx)
    counts = {"qualified": 0, "disqualified": 0, "needs_review": 0, "moved": 0}
    last_id = ""
    while True:
        deliveries: list[str] = []
        with ctx.db.transaction() as session:
            leads = session.scalars(
                select(Lead).where(Lead.stage.in_(OPEN_STAGES), Lead.id > last_id).order_by(Lead.id).limit(BATCH)
            ).all()
            if not leads:
                break
            last_id = leads[-1].id
            for lead in leads:
                if lead.data.get("deleted"):
                    continue
                canonical = CanonicalLead.model_validate({**lead.data, "stage": lead.stage})
                decision = qualify.evaluate(rules, canonical)
                counts[decision.outcome] += 1
                before = lead.stage
                deliveries += stages.apply_decision(session, lead, decision, canonical)
                counts["moved"] += lead.stage != before
            if progress:
                progress(len(leads))
        for delivery_id in deliveries:
            ctx.dispatch.deliver(delivery_id)
    return counts
