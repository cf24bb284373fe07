"""The inbox: a raw body is committed here before any platform hears 2xx."""

from __future__ import annotations

import logging
import os
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.context import Context
from core.ids import new_id
from core.models import Lead, RawRecord

log = logging.getLogger(__name__)
_INSERT = insert(RawRecord)  # Core, not the ORM: half of the intake's CPU went to the unit of work
GROUP_MAX = 200  # rows per group commit; bounds one transaction's size under a burst


def raw_row(
    connection_id: str,
    source: str,
    body: bytes,
    external_id: str | None = None,
    content_type: str | None = None,
    kind: str = "record",
) -> dict[str, Any]:
    """The columns of one new raw record, with its id."""
    return {
        "id": new_id("raw"),
        "connection_id": connection_id,
        "source": source,
        "kind": kind,
        "body": body,
        "external_id": external_id,
        "content_type": content_type,
    }


def insert_new(session: Session, connection_id: str, source: str, records: list[tuple[str, bytes]]) -> list[str]:
    """In the caller's transaction, insert the batch's records that are neither a lead nor a waiting raw record
    yet (nor repeated in the batch) — pulls and imports re-read what they stored before — and return their ids,
    for the caller to dispatch once it commits."""
    ids = [external_id for external_id, _ in records]
    known = set(
        session.scalars(select(Lead.external_id).where(Lead.connection_id == connection_id, Lead.external_id.in_(ids)))
    ) | set(
        session.scalars(
            select(RawRecord.external_id).where(
                RawRecord.connection_id == connection_id,
                RawRecord.status == "pending",
                RawRecord.external_id.in_(ids),
            )
        )
    )
    rows = []
    for external_id, body in records:
        if external_id not in known:
            known.add(external_id)
            rows.append(raw_row(connection_id, source, body, external_id, "application/json"))
    if rows:  # one executemany for the batch (column defaults apply), not one ORM object per record
        session.execute(_INSERT, rows)
    return [row["id"] for row in rows]


def dispatch(ctx: Context, ids: list[str]) -> None:
    """Hand committed raw records to workers (best effort: the sweeper backs it up)."""
    if ids:
        _dispatch(ctx, ids)


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
    row = raw_row(connection_id, source, body, external_id, content_type, kind)
    return store_many(ctx, [row])[0]


def store_many(ctx: Context, rows: list[dict[str, Any]]) -> list[str]:
    """Commit raw records in one transaction, then hand them to workers."""
    with ctx.db.write() as conn:
        conn.execute(_INSERT, rows)
    ids = [row["id"] for row in rows]
    _dispatch(ctx, ids)
    return ids


def _dispatch(ctx: Context, ids: list[str]) -> None:
    try:
        if len(ids) == 1:
            ctx.dispatch.process_raw(ids[0])
        else:
            ctx.dispatch.process_raw_many(ids)
    except Exception:  # the rows are stored; the sweeper dispatches them later
        log.warning("queue unavailable; %d raw record(s) wait for the sweeper", len(ids), exc_info=True)


@dataclass
class _Pending:
    row: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class GroupCommitter:
    """Group commit for the web intake: one writer thread per process commits the rows of all requests that
    arrived meanwhile in one transaction and enqueues them as one task; each request still answers only after
    its own row is committed. Under load this turns N commits and N enqueues into one of each."""

    def __init__(self, ctx: Context, max_rows: int = GROUP_MAX) -> None:
        self._ctx = ctx
        self._max_rows = max_rows
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._owner_pid = 0  # the writer thread does not survive a fork: start one per process

    def store(
        self,
        connection_id: str,
        source: str,
        body: bytes,
        external_id: str | None = None,
        content_type: str | None = None,
        kind: str = "record",
    ) -> str:
        """Wait until the raw record is committed (with whatever else was waiting); return its id."""
        pending = _Pending(raw_row(connection_id, source, body, external_id, content_type, kind))
        self._ensure_writer()
        self._queue.put(pending)
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        return str(pending.row["id"])

    def _ensure_writer(self) -> None:
        if self._owner_pid == os.getpid():
            return
        with self._lock:
            if self._owner_pid != os.getpid():
                self._queue = queue.SimpleQueue()
                threading.Thread(target=self._run, name="inbox-group-commit", daemon=True).start()
                self._owner_pid = os.getpid()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self._max_rows:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            committed = self._commit(batch)
            if committed:  # queued before the answer, as for a single store (one enqueue per group)
                _dispatch(self._ctx, [pending.row["id"] for pending in committed])
            for pending in batch:
                pending.done.set()

    def _commit(self, batch: list[_Pending]) -> list[_Pending]:
        """Commit the group; if that fails, row by row so one bad row cannot fail its neighbours."""
        try:
            self._insert([pending.row for pending in batch])
            return batch
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return []
        committed = []
        for pending in batch:
            try:
                self._insert([pending.row])
                committed.append(pending)
            except Exception as exc:
                pending.error = exc
        return committed

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        with self._ctx.db.write() as conn:
            conn.execute(_INSERT, rows)
