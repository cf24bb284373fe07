"""Merging two persons, with the evidence and a snapshot from which :func:`undo` puts back what was there.

The snapshot holds both persons' fields, their identity keys, blocking keys, which leads and applications
belonged to whom, and which older merges pointed at the merged person. Consents are untouched by a merge:
each stays in the data of the lead that brought it, so undo cannot lose one either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from core.errors import LeadhubError, NotFound
from core.ids import new_id
from core.models import Application, IdentityKey, Lead, Merge, Person, PersonBlock, ReviewItem, utcnow
from mappings import survivorship
from mappings.identity_config import IdentityConfig
from sync import outbox
from webhooks.event_models import PersonMerged

PERSON_COLUMNS = (*survivorship.FIELDS, "merged_into_id")


class MergeRefused(LeadhubError):
    """The merge or its undo would not be safe; the message says why and what to do first."""


def _live(session: Session, person_id: str) -> Person:
    person = session.get(Person, person_id, with_for_update=True)
    if person is None:
        raise NotFound(f"No person {person_id}.")
    return person


def snapshot(
    session: Session, persons: list[Person], incoming_lead_id: str | None = None, redirects: bool = True
) -> dict[str, Any]:
    """Everything a merge of these persons changes, as JSON. ``redirects=False`` skips looking for persons
    merged into these earlier (a scan while ``persons.merged_into_id`` has no index; none can exist for a
    person created in this transaction)."""
    ids = [p.id for p in persons]
    keys = session.execute(
        select(IdentityKey.id, IdentityKey.person_id, IdentityKey.kind, IdentityKey.value, IdentityKey.shared)
        .where(IdentityKey.person_id.in_(ids))
        .order_by(IdentityKey.id)
    ).all()
    blocks: dict[str, list[str]] = {pid: [] for pid in ids}
    for pid, block in session.execute(
        select(PersonBlock.person_id, PersonBlock.block).where(PersonBlock.person_id.in_(ids))
    ):
        blocks[pid].append(block)
    owners = {
        "leads": dict(session.execute(select(Lead.id, Lead.person_id).where(Lead.person_id.in_(ids))).all()),
        "applications": dict(
            session.execute(select(Application.id, Application.person_id).where(Application.person_id.in_(ids))).all()
        ),
        "redirects": dict(
            session.execute(select(Person.id, Person.merged_into_id).where(Person.merged_into_id.in_(ids))).all()
        )
        if redirects
        else {},
    }
    return {
        "persons": {
            p.id: {col: getattr(p, col) for col in PERSON_COLUMNS}
            | {"updated_at": (p.updated_at or utcnow()).isoformat()}
            for p in persons
        },
        "keys": [
            {"id": kid, "person_id": pid, "kind": kind, "value": value, "shared": shared}
            for kid, pid, kind, value, shared in keys
        ],
        "blocks": {pid: sorted(found) for pid, found in blocks.items()},
        **owners,
        "incoming_lead_id": incoming_lead_id,
    }


def merge(
    session: Session,
    survivor_id: str,
    merged_id: str,
    *,
    evidence: dict[str, Any],
    decided_by: str | None = None,
    config: IdentityConfig | None = None,
    incoming_lead_id: str | None = None,
    announce: bool = True,
    merged_is_new: bool = False,
) -> Merge:
    """Merge ``merged_id`` into ``survivor_id``: keys, blocks, leads and applications move; fields survive
    per ``config``; ``merged_id`` then points at the survivor. ``announce`` emits ``person.merged``;
    ``merged_is_new`` (created in this transaction) skips looking for older merges into it."""
    if survivor_id == merged_id:
        raise MergeRefused("A person cannot be merged with itself.")
    survivor, merged = _live(session, survivor_id), _live(session, merged_id)
    for person in (survivor, merged):
        if person.merged_into_id:
            raise MergeRefused(f"Person {person.id} was merged into {person.merged_into_id} already.")
    state = snapshot(session, [survivor, merged], incoming_lead_id, redirects=not merged_is_new)
    session.execute(update(IdentityKey).where(IdentityKey.person_id == merged_id).values(person_id=survivor_id))
    moved_blocks = set(state["blocks"][merged_id]) - set(state["blocks"][survivor_id])
    session.execute(delete(PersonBlock).where(PersonBlock.person_id == merged_id))
    if moved_blocks:
        session.execute(insert(PersonBlock), [{"person_id": survivor_id, "block": b} for b in sorted(moved_blocks)])
    for model in (Lead, Application):
        session.execute(update(model).where(model.person_id == merged_id).values(person_id=survivor_id))
    if state["redirects"]:
        session.execute(update(Person).where(Person.id.in_(state["redirects"])).values(merged_into_id=survivor_id))
    survivorship.apply(session, survivor, {}, config or IdentityConfig(), others=[merged])
    merged.merged_into_id = survivor_id
    record = Merge(
        id=new_id("mrg"),
        survivor_id=survivor_id,
        merged_id=merged_id,
        evidence=evidence,
        snapshot=state,
        decided_by=decided_by,
    )
    session.add(record)
    if announce:
        data = PersonMerged(merge_id=record.id, survivor_id=survivor_id, merged_id=merged_id)
        outbox.emit(session, data.event_type, "person", survivor_id, data.dump())
    session.flush()
    return record


def undo(session: Session, merge_id: str, *, undone_by: str | None = None) -> Merge:
    """Put back both persons, their keys, blocks, leads and applications as the snapshot recorded them.

    Leads and keys that arrived after the merge stay with the survivor. A later merge of either person has
    to be undone first.
    """
    record = session.get(Merge, merge_id, with_for_update=True)
    if record is None:
        raise NotFound(f"No merge {merge_id}.")
    if record.undone_at is not None:
        raise MergeRefused(f"Merge {merge_id} was undone already.")
    pair = (record.survivor_id, record.merged_id)
    later = session.scalar(
        select(Merge.id).where(
            Merge.id != record.id,
            Merge.undone_at.is_(None),
            Merge.created_at >= record.created_at,
            or_(Merge.survivor_id.in_(pair), Merge.merged_id.in_(pair)),
        )
    )
    if later:
        raise MergeRefused(f"Merge {later} happened later to the same persons; undo it first.")
    state = record.snapshot
    for pid, columns in state["persons"].items():
        person = _live(session, pid)
        for col in PERSON_COLUMNS:
            setattr(person, col, columns[col])
        person.updated_at = datetime.fromisoformat(columns["updated_at"])
    for key in state["keys"]:
        session.execute(
            update(IdentityKey)
            .where(IdentityKey.id == key["id"])
            .values(person_id=key["person_id"], shared=key["shared"])
        )
    _restore_blocks(session, record.survivor_id, record.merged_id, state["blocks"])
    owners: dict[str, list[str]] = {}
    for lead_id, pid in state["leads"].items():
        owners.setdefault(pid, []).append(lead_id)
    if state.get("incoming_lead_id"):
        owners.setdefault(record.merged_id, []).append(state["incoming_lead_id"])
    for pid, lead_ids in owners.items():
        session.execute(update(Lead).where(Lead.id.in_(lead_ids)).values(person_id=pid))
    for app_id, pid in state["applications"].items():
        session.execute(update(Application).where(Application.id == app_id).values(person_id=pid))
    for pid, target in state["redirects"].items():
        session.execute(update(Person).where(Person.id == pid).values(merged_into_id=target))
    review_id = record.evidence.get("review_item_id")
    if review_id:
        session.execute(
            update(ReviewItem).where(ReviewItem.id == review_id).values(status="open", decided_at=None, decided_by=None)
        )
    record.undone_at = utcnow()
    record.evidence = {**record.evidence, "undone_by": undone_by}
    session.flush()
    return record


def _restore_blocks(session: Session, survivor_id: str, merged_id: str, blocks: dict[str, list[str]]) -> None:
    """The merged person gets its blocks back; the survivor loses only those it had through the merge."""
    gained = set(blocks[merged_id]) - set(blocks[survivor_id])
    if gained:
        session.execute(
            delete(PersonBlock).where(PersonBlock.person_id == survivor_id, PersonBlock.block.in_(sorted(gained)))
        )
    session.execute(delete(PersonBlock).where(PersonBlock.person_id == merged_id))
    if blocks[merged_id]:
        session.execute(insert(PersonBlock), [{"person_id": merged_id, "block": b} for b in blocks[merged_id]])
