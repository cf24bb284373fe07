"""Identity resolution: which person an incoming lead belongs to.

1. Exact keys (normalised email, E.164 phone, profile URL) link when the names are compatible and no birth
   date conflicts. A key whose holder is clearly someone else (a family mailbox, a shared landline, an
   agency's address: the guard refuses and the score is below the review band, or an admin keeps the
   pair apart) is marked ``shared`` and is only evidence from then on; role and family addresses
   (``bewerbung@``, ``familie.…@``) are shared from the start. If the keys point at several compatible
   persons, those are merged (or reviewed, when they contradict each other).
2. Otherwise the persons sharing a blocking key are scored (:mod:`mappings.scoring`): above the auto
   threshold, with no conflict and something personal agreeing, the new person is merged into the best
   candidate (an undoable :class:`Merge` with its evidence); between the bands a new person and a
   :class:`ReviewItem`; below, a new person.
3. Concurrency: the unique ``(kind, value)`` of identity keys makes a racing twin fail and retry (the
   pipeline retries the transaction); on PostgreSQL advisory locks on the keys and blocks serialise the
   two resolves first, so the second one sees the first one's person.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from core import schema
from core.ids import new_id
from core.models import Lead, Merge, Person, ReviewItem
from mappings import identity_store as store
from mappings import merge as merging
from mappings import survivorship
from mappings.identity_config import IdentityConfig
from mappings.identity_store import Candidate
from mappings.keys import keys_of, normalise_email
from mappings.scoring import Comparison, Profile, band, blocks_of, compare, key_guard

__all__ = ["IdentityConfig", "keys_of", "normalise_email", "resolve"]

DEFAULT_CONFIG = IdentityConfig()
_AWAITING = "identity.awaiting_lead"


def resolve(
    session: Session,
    incoming: schema.Person,
    *,
    config: IdentityConfig | None = None,
    lead_id: str | None = None,
    source: str | None = None,
) -> Person:
    """The person this record belongs to (found, merged into, or new); call inside the lead's transaction.

    ``lead_id`` is the lead about to be stored for the record (for review items and merge snapshots); when
    omitted, the first lead added to the session for the returned person is taken. ``source`` matters only
    for a ``source_priority`` survivorship.
    """
    config = config or DEFAULT_CONFIG
    session.flush()  # the reads below bypass the ORM: earlier changes of this transaction must be in the database
    profile = Profile.of_incoming(incoming)
    keys = keys_of(incoming)
    blocks = blocks_of(profile)
    _lock(session, keys, blocks, config)
    candidates, known = _candidates(session, keys, blocks, config)
    linked: list[str] = []
    refused: dict[str, list[str]] = {}  # candidate → its keys the guard would not link through
    for candidate in candidates.values():
        for key_id, kind, shared in candidate.key_ids:
            if shared:
                continue
            if key_guard(profile, candidate.profile):
                refused.setdefault(candidate.id, []).append(key_id)
                candidate.hits[kind] = True
            elif candidate.id not in linked:
                linked.append(candidate.id)
    scores = {cid: compare(profile, c.profile, c.hits) for cid, c in candidates.items()}
    for cid, key_ids in refused.items():
        if band(scores[cid], config) == "new":  # clearly someone else: the key is shared from now on
            for key_id in key_ids:
                store.mark_shared(session, key_id)
    values = survivorship.values_of(incoming)
    fresh_keys = [key for key in keys if key not in known]
    if linked:
        linked.sort(key=lambda cid: -scores[cid].score)
        person = session.get(Person, linked[0])
        assert person is not None
        survivorship.apply(session, person, values, config, source)
        store.add_keys(session, person.id, fresh_keys)
        store.add_blocks(session, person.id, blocks)
        _bridge(session, person, linked[1:], candidates, config)
        return person
    best = max(scores, key=lambda cid: scores[cid].score, default=None)
    decision = band(scores[best], config) if best else "new"
    person = store.create_person(session, values, fresh_keys, blocks)
    if best is None or decision == "new":
        return person
    evidence = _evidence(scores[best], candidates[best], config, refused.get(best, []))
    if decision == "link":
        record = merging.merge(
            session,
            best,
            person.id,
            evidence=evidence,
            config=config,
            incoming_lead_id=lead_id,
            announce=False,
            merged_is_new=True,
        )
        survivor = session.get(Person, best)
        assert survivor is not None
        if config.source_priority:  # the merge ranked the new record without its source
            survivorship.apply(session, survivor, values, config, source)
        if lead_id is None:
            _await_lead(session, survivor.id, record)
        return survivor
    item = ReviewItem(
        id=new_id("rev"),
        person_id=person.id,
        candidate_id=best,
        lead_id=lead_id,
        score=round(scores[best].score, 2),
        evidence=evidence,
    )
    session.add(item)
    if lead_id is None:
        _await_lead(session, person.id, item)
    return person


def _lock(session: Session, keys: list[tuple[str, str]], blocks: set[str], config: IdentityConfig) -> None:
    """PostgreSQL: one resolve at a time per key and block, so a racing twin sees the first one's person."""
    if config.advisory_locks:
        store.lock(session, [f"{kind}:{value}" for kind, value in keys] + sorted(blocks))


def _candidates(
    session: Session, keys: list[tuple[str, str]], blocks: set[str], config: IdentityConfig
) -> tuple[dict[str, Candidate], set[tuple[str, str]]]:
    """Persons holding one of the keys, and those sharing most blocks (at most ``max_candidates``)."""
    key_rows = store.find_keys(session, keys)
    rows = {row.id: row for row in store.persons_by_blocks(session, blocks, config.max_candidates)}
    owners = sorted({key.person_id for key in key_rows} - set(rows))
    rows.update({row.id: row for row in store.persons_by_id(session, owners)})
    redirect = {pid: _live_id(session, row) for pid, row in rows.items() if row.merged_into_id}
    candidates = {pid: Candidate(pid, Profile.of_row(row)) for pid, row in rows.items() if not row.merged_into_id}
    for key in key_rows:
        pid = redirect.get(key.person_id, key.person_id)
        if pid not in candidates:
            candidates[pid] = Candidate(pid, Profile.of_row(store.persons_by_id(session, [pid])[0]))
        candidate = candidates[pid]
        candidate.key_ids.append((key.id, key.kind, key.shared))
        candidate.hits[key.kind] = candidate.hits.get(key.kind, False) or key.shared
    return candidates, {(key.kind, key.value) for key in key_rows}


def _live_id(session: Session, row: Any) -> str:
    """Follow ``merged_into_id`` to the person that absorbed this one."""
    pid: str = row.id
    target: str | None = row.merged_into_id
    while target:
        pid = target
        found = store.persons_by_id(session, [target])
        target = found[0].merged_into_id if found else None
    return pid


def _bridge(
    session: Session, person: Person, others: list[str], candidates: dict[str, Candidate], config: IdentityConfig
) -> None:
    """The record's keys point at several compatible persons: one human, unless they contradict each other."""
    target = Profile.of_row(person)
    for other in others:
        pair = compare(target, candidates[other].profile)
        evidence = {"via": "keys", **pair.evidence(), "keys": sorted(candidates[other].hits)}
        if key_guard(target, candidates[other].profile):
            session.add(
                ReviewItem(
                    id=new_id("rev"),
                    person_id=other,
                    candidate_id=person.id,
                    score=round(pair.score, 2),
                    evidence=evidence,
                )
            )
        else:
            merging.merge(session, person.id, other, evidence=evidence, config=config)


def _evidence(
    comparison: Comparison, candidate: Candidate, config: IdentityConfig, refused_keys: list[str]
) -> dict[str, Any]:
    """What a merge or review item keeps: levels, weights, score, bands and the keys the guard refused
    (they become shared if an admin keeps the pair apart)."""
    return {
        "via": "score",
        **comparison.evidence(),
        "keys": sorted(candidate.hits),
        "refused_keys": refused_keys,
        "auto_threshold": config.auto_threshold,
        "review_threshold": config.review_threshold,
    }


def _await_lead(session: Session, person_id: str, holder: Merge | ReviewItem) -> None:
    """Record the lead id on ``holder`` once the caller adds the lead for ``person_id`` to the session."""
    waiting: list[tuple[str, Merge | ReviewItem]] = session.info.setdefault(_AWAITING, [])
    if not waiting and not event.contains(session, "before_flush", _fill_lead_ids):
        event.listen(session, "before_flush", _fill_lead_ids)
    waiting.append((person_id, holder))


def _fill_lead_ids(session: Session, _context: Any, _instances: Any) -> None:
    waiting: list[tuple[str, Merge | ReviewItem]] = session.info.get(_AWAITING, [])
    if not waiting:
        return
    leads = {obj.person_id: obj.id for obj in session.new if isinstance(obj, Lead)}
    for entry in list(waiting):
        person_id, holder = entry
        if person_id not in leads:
            continue
        if isinstance(holder, ReviewItem):
            holder.lead_id = leads[person_id]
        else:
            holder.snapshot = {**holder.snapshot, "incoming_lead_id": leads[person_id]}
        waiting.remove(entry)
