"""``leadhub export leads``: every lead with its source, external id, person, stage and mapping version."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from typing import IO, Any

from sqlalchemy import select

from core.context import Context
from core.models import Connection, Lead, MappingVersion

COLUMNS = [
    "id",
    "source",
    "connection",
    "external_id",
    "platform_lead_key",
    "person_id",
    "stage",
    "stage_changed_at",
    "captured_at",
    "mapping_version",
    "channel",
    "campaign",
    "is_test",
    "score",
    "decided_by_rule",
]


def rows(ctx: Context) -> Iterator[dict[str, Any]]:
    """Streamed in id order, a thousand at a time, so a million leads never sit in memory."""
    query = (
        select(Lead, Connection.name, MappingVersion.version)
        .join(Connection, Connection.id == Lead.connection_id)
        .outerjoin(MappingVersion, MappingVersion.id == Lead.mapping_version_id)
        .order_by(Lead.id)
        .execution_options(yield_per=1000)
    )
    with ctx.db.session() as session:
        for lead, connection, version in session.execute(query):
            yield {
                "id": lead.id,
                "source": lead.source,
                "connection": connection,
                "external_id": lead.external_id,
                "platform_lead_key": lead.platform_lead_key,
                "person_id": lead.person_id,
                "stage": lead.stage,
                "stage_changed_at": lead.stage_changed_at.isoformat(),
                "captured_at": lead.captured_at.isoformat(),
                "mapping_version": version,
                "channel": lead.channel,
                "campaign": lead.campaign,
                "is_test": lead.is_test,
                "score": lead.score,
                "decided_by_rule": lead.decided_by_rule,
            }


def write(ctx: Context, out: IO[str], fmt: str, progress: Callable[[int], None] | None = None) -> int:
    count = 0
    writer = csv.DictWriter(out, fieldnames=COLUMNS) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    for row in rows(ctx):
        if writer:
            writer.writerow(row)
        else:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
        if progress:
            progress(1)
    return count
