"""Keep ``funnel_counts`` in step with lead stages: +1 when a lead enters a stage, -1 when it leaves."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.models import FunnelCount, Lead


def _key(lead: Lead, stage: str) -> dict[str, str]:
    return {
        "month": lead.captured_at.strftime("%Y-%m"),
        "channel": lead.channel or "",
        "campaign": lead.campaign or "",
        "form_id": lead.form_id or "",
        "stage": stage,
    }


def add(session: Session, lead: Lead, stage: str, delta: int) -> None:
    """Upsert an increment in the caller's transaction; test leads are not counted."""
    if lead.is_test:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(FunnelCount).values(**_key(lead, stage), count=delta)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["month", "channel", "campaign", "form_id", "stage"],
            set_={"count": FunnelCount.count + delta},
        )
    )


def move(session: Session, lead: Lead, old: str | None, new: str) -> None:
    if old is not None:
        add(session, lead, old, -1)
    add(session, lead, new, 1)
