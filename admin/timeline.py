"""A person's timeline: every lead, merge, stage change, delivery and event, with remote ids (the lineage)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.models import (
    Application,
    Connection,
    Delivery,
    Event,
    Lead,
    Merge,
    RemoteRecord,
    StageChange,
    TimelineNote,
    WebhookEndpoint,
)


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # lead | stage | merge | delivery | event | note
    title: str
    detail: str = ""
    link_id: str | None = None


def for_person(session: Session, person_id: str) -> tuple[list[Entry], list[RemoteRecord]]:
    leads = session.scalars(select(Lead).where(Lead.person_id == person_id)).all()
    apps = session.scalars(select(Application).where(Application.person_id == person_id)).all()
    subject_ids = [lead.id for lead in leads] + [a.id for a in apps]
    entries = [
        Entry(
            lead.captured_at,
            "lead",
            f"Lead from {lead.source}",
            f"external id {lead.external_id}; campaign {lead.campaign or '–'}; stage {lead.stage}",
            lead.id,
        )
        for lead in leads
    ]
    entries += [
        Entry(
            a.created_at,
            "application",
            f"Application ({a.source or 'unknown source'})",
            f"stage {a.stage}" + (f"; ATS id {a.remote_id}" if a.remote_id else ""),
            a.id,
        )
        for a in apps
    ]
    for change in session.scalars(select(StageChange).where(StageChange.subject_id.in_(subject_ids))):
        entries.append(
            Entry(
                change.at,
                "stage",
                f"{change.subject_type} {change.from_stage or 'new'} → {change.to_stage}",
                change.reason or "",
                change.subject_id,
            )
        )
    for merge in session.scalars(
        select(Merge).where(or_(Merge.survivor_id == person_id, Merge.merged_id == person_id))
    ):
        detail = "undone" if merge.undone_at else f"evidence: {', '.join(map(str, merge.evidence))[:200]}"
        entries.append(
            Entry(merge.created_at, "merge", f"Merged {merge.merged_id} into {merge.survivor_id}", detail, merge.id)
        )
    names = {c.id: c.name for c in session.scalars(select(Connection))}
    names.update({e.id: e.name for e in session.scalars(select(WebhookEndpoint))})
    for delivery in session.scalars(select(Delivery).where(Delivery.subject_id.in_(subject_ids))):
        target = names.get(delivery.connection_id or delivery.endpoint_id or "", delivery.sink)
        detail = f"status {delivery.status}, {delivery.attempt_count} attempt(s)"
        if delivery.remote_id:
            detail += f", remote id {delivery.remote_id}"
        if delivery.last_error:
            detail += f" — {delivery.last_error}"
        entries.append(
            Entry(
                delivery.delivered_at or delivery.created_at,
                "delivery",
                f"{delivery.sink} → {target}",
                detail,
                delivery.id,
            )
        )
    for event in session.scalars(select(Event).where(Event.subject_id.in_(subject_ids))):
        entries.append(Entry(event.occurred_at, "event", event.type, event.id, event.id))
    for note in session.scalars(select(TimelineNote).where(TimelineNote.person_id == person_id)):
        entries.append(Entry(note.at, "note", note.kind, note.message))
    remotes = session.scalars(select(RemoteRecord).where(RemoteRecord.subject_id.in_([person_id, *subject_ids]))).all()
    return sorted(entries, key=lambda e: e.at), list(remotes)
