"""Publish a mapping version and replay a connection's stored raw records through it — no platform call."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from core import schema
from core.context import Context
from core.errors import MappingError
from core.ids import new_id
from core.models import Connection, Lead, MappingVersion, Person, RawRecord, utcnow
from mappings import consents
from mappings.apply import apply_mapping
from mappings.spec import MappingSpec

BATCH = 500


@dataclass
class ReplayResult:
    updated: int = 0
    created_again: int = 0
    failed: int = 0


def _refresh_person(row: Person | None, incoming: schema.Person) -> None:
    """Fields the new mapping fills now (a better name split, a normalised postcode) reach the person.
    Identity keys are left alone: re-resolving belongs to the identity review, not to a replay."""
    if row is None:
        return
    for name in ("first_name", "last_name", "city", "postcode", "country"):
        value = getattr(incoming, name)
        if value:
            setattr(row, name, str(value))


def publish(ctx: Context, connection_id: str, spec: MappingSpec, author: str | None = None) -> MappingVersion:
    """A new version number, published now; leads made later record it."""
    with ctx.db.transaction() as session:
        latest = session.scalar(
            select(func.max(MappingVersion.version)).where(MappingVersion.connection_id == connection_id)
        )
        version = MappingVersion(
            id=new_id("map"),
            connection_id=connection_id,
            version=(latest or 0) + 1,
            spec=spec.model_dump(mode="json", exclude_defaults=True, by_alias=True),
            published_at=utcnow(),
            created_by=author,
        )
        session.add(version)
    return version


def replay(
    ctx: Context, connection_id: str, version: MappingVersion, progress: Callable[[int], None] | None = None
) -> ReplayResult:
    """Re-map every stored record of the connection: leads get the new fields and version; records that
    failed before are queued again (they may map now)."""
    spec = MappingSpec.model_validate(version.spec)
    with ctx.db.session() as session:
        connection = session.get(Connection, connection_id)
        purposes = consents.effective(connection.platform, connection.settings) if connection else {}
    result = ReplayResult()
    last_id = ""
    while True:
        requeue: list[str] = []
        with ctx.db.transaction() as session:
            raws = session.scalars(
                select(RawRecord)
                .where(RawRecord.connection_id == connection_id, RawRecord.kind == "record", RawRecord.id > last_id)
                .order_by(RawRecord.id)
                .limit(BATCH)
            ).all()
            if not raws:
                break
            last_id = raws[-1].id
            for raw in raws:
                if raw.status == "failed":
                    raw.status, raw.error = "pending", None
                    requeue.append(raw.id)
                    result.created_again += 1
                    continue
                if raw.lead_id is None or raw.status != "processed":
                    continue
                lead = session.get(Lead, raw.lead_id)
                if lead is None or lead.raw_record_id != raw.id or lead.data.get("deleted"):
                    continue  # duplicates of a lead are replayed through the record that made it
                try:
                    canonical = apply_mapping(
                        spec,
                        json.loads(raw.body),
                        defaults={"captured_at": raw.received_at},
                        source=raw.source,
                        mapping_version=version.version,
                    )
                    canonical.consents = consents.rename(canonical.consents, purposes)
                except (MappingError, ValueError) as exc:
                    raw.error = f"replay with mapping v{version.version}: {exc}"
                    result.failed += 1
                    continue
                canonical.id = lead.id
                lead.data = canonical.model_dump(mode="json", exclude_none=True) | {"stage": lead.stage}
                lead.mapping_version_id = version.id
                lead.channel = canonical.attribution.channel
                lead.campaign = canonical.attribution.campaign_name or canonical.attribution.utm_campaign
                _refresh_person(session.get(Person, lead.person_id), canonical.person)
                result.updated += 1
            if progress:
                progress(len(raws))
        for raw_id in requeue:
            ctx.dispatch.process_raw(raw_id)
    return result
