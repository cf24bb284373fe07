"""The inbox: a raw body is committed here before any platform hears 2xx."""

from __future__ import annotations

import logging

from core.context import Context
from core.ids import new_id
from core.models import RawRecord

log = logging.getLogger(__name__)


def store(
    ctx: Context,
    connection_id: str,
    source: str,
    body: bytes,
    external_id: str | None = None,
    content_type: str | None = None,
    kind: str = "record",
) -> str:
    """Insert and commit one raw record, then hand it to a worker (best effort: the sweeper backs it up)."""
    raw_id = new_id("raw")
    with ctx.db.transaction() as session:
        session.add(
            RawRecord(
                id=raw_id,
                connection_id=connection_id,
                source=source,
                kind=kind,
                body=body,
                external_id=external_id,
                content_type=content_type,
            )
        )
    try:
        ctx.dispatch.process_raw(raw_id)
    except Exception:  # the row is stored; the sweeper dispatches it later
        log.warning("queue unavailable; raw record %s waits for the sweeper", raw_id, exc_info=True)
    return raw_id
