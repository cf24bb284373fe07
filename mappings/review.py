"""The review queue: possible duplicates scored between the bands, for an admin to merge or keep apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.models import Merge, Person, ReviewItem, utcnow
from mappings import identity_store as store
from mappings import merge as merging
from mappings.identity_config import IdentityConfig

Decision = Literal["merge", "keep_apart"]


class AlreadyDecided(merging.MergeRefused):
    """The review item was decided before; the message says how."""


@dataclass(frozen=True)
class ReviewView:
    """One open item as the admin sees it: both persons (as they are now) and why they were paired."""

    id: str
    person_id: str
    candidate_id: str
    lead_id: str | None
    score: float
    evidence: dict[str, Any]
    created_at: datetime
    person: dict[str, Any]
    candidate: dict[str, Any]


def _live(session: Session, person_id: str) -> Person:
    person = session.get(Person, person_id)
    while person is not None and person.merged_into_id:
        person = session.get(Person, person.merged_into_id)
    if person is None:
        raise NotFound(f"No person {person_id}.")
    return person


def _fields(person: Person) -> dict[str, Any]:
    names = ("id", "first_name", "last_name", "email", "phone", "city", "postcode", "country", "birth_date")
    return {name: getattr(person, name) for name in names}


def open_items(session: Session, limit: int = 50, offset: int = 0) -> list[ReviewView]:
    """Open items, highest score first."""
    items = session.scalars(
        select(ReviewItem)
        .where(ReviewItem.status == "open")
        .order_by(ReviewItem.score.desc(), ReviewItem.created_at)
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        ReviewView(
            id=item.id,
            person_id=item.person_id,
            candidate_id=item.candidate_id,
            lead_id=item.lead_id,
            score=item.score,
            evidence=dict(item.evidence or {}),
            created_at=item.created_at,
            person=_fields(_live(session, item.person_id)),
            candidate=_fields(_live(session, item.candidate_id)),
        )
        for item in items
    ]


def count_open(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ReviewItem).where(ReviewItem.status == "open")) or 0


def decide(
    session: Session, item_id: str, decision: Decision, decided_by: str, config: IdentityConfig | None = None
) -> Merge | None:
    """Merge the pair (the candidate survives; the merge can be undone) or keep it apart, which turns the
    keys they share into shared keys; records who decided."""
    item = session.get(ReviewItem, item_id, with_for_update=True)
    if item is None:
        raise NotFound(f"No review item {item_id}.")
    if item.status != "open":
        raise AlreadyDecided(f"Review item {item_id} was decided already ({item.status} by {item.decided_by}).")
    record: Merge | None = None
    if decision == "merge":
        survivor, merged = _live(session, item.candidate_id), _live(session, item.person_id)
        if survivor.id != merged.id:
            evidence = {**(item.evidence or {}), "via": "review", "review_item_id": item.id}
            record = merging.merge(
                session, survivor.id, merged.id, evidence=evidence, decided_by=decided_by, config=config
            )
        item.status = "merged"
    elif decision == "keep_apart":
        item.status = "kept_apart"
        for key_id in (item.evidence or {}).get("refused_keys", []):
            store.mark_shared(session, key_id)  # two humans use it: evidence only from now on
    else:
        raise ValueError(f"unknown decision {decision!r}; choose merge or keep_apart")
    item.decided_at, item.decided_by = utcnow(), decided_by
    session.flush()
    return record
