"""Group commit at intake: concurrent requests share one transaction and one enqueue, yet each answer still
waits for its own committed row, and one bad row cannot fail the others."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import func, select

from connectors.sources.form_webhook import samples
from core.context import Context
from core.models import RawRecord
from sync import connections
from tests.helpers import SIGNING_SECRET, encode
from webhooks import inbox


def _stored(ctx: Context) -> set[str]:
    with ctx.db.session() as session:
        return set(session.scalars(select(RawRecord.id)))


def _store_concurrently(committer: inbox.GroupCommitter, rows: list[tuple[str, bytes]]) -> dict[int, Any]:
    results: dict[int, Any] = {}

    def post(n: int, connection_id: str, body: bytes) -> None:
        try:
            results[n] = committer.store(connection_id, "form_webhook", body, f"s-{n}")
        except Exception as exc:
            results[n] = exc

    threads = [threading.Thread(target=post, args=(n, cid, body)) for n, (cid, body) in enumerate(rows)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_concurrent_stores_commit_in_groups_and_are_all_queued(ctx: Context, dispatcher: Any) -> None:
    conn = connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
    committer = inbox.GroupCommitter(ctx)
    sizes: list[int] = []
    insert = committer._insert

    def slow_insert(rows: list[dict[str, Any]]) -> None:
        sizes.append(len(rows))
        if len(sizes) == 1:
            time.sleep(0.3)  # the first group holds the writer; the others pile up behind it
        insert(rows)

    committer._insert = slow_insert  # type: ignore[method-assign]
    results = _store_concurrently(committer, [(conn.id, encode(samples.submission(n))) for n in range(40)])
    ids = set(results.values())
    assert len(ids) == 40 and all(isinstance(i, str) for i in ids)
    assert ids <= _stored(ctx)
    assert sorted(dispatcher.raw) == sorted(ids)  # every committed row is handed to a worker
    assert max(sizes) > 1 and sum(sizes) == 40  # fewer transactions than requests


def test_a_row_that_cannot_be_stored_fails_alone(ctx: Context, dispatcher: Any) -> None:
    conn = connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
    committer = inbox.GroupCommitter(ctx)
    rows = [(conn.id, encode(samples.submission(n))) for n in range(9)]
    rows.insert(4, ("conn_does_not_exist", encode(samples.submission(99))))  # violates the foreign key
    results = _store_concurrently(committer, rows)
    failed = [value for value in results.values() if isinstance(value, Exception)]
    stored = {value for value in results.values() if isinstance(value, str)}
    assert len(failed) == 1 and len(stored) == 9
    assert stored == _stored(ctx)
    assert sorted(dispatcher.raw) == sorted(stored)
    with ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(RawRecord)) == 9


def test_a_lone_request_is_stored_before_the_answer(ctx: Context, dispatcher: Any) -> None:
    conn = connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
    raw_id = inbox.GroupCommitter(ctx).store(conn.id, "form_webhook", encode(samples.submission(1)), "s-1")
    assert raw_id in _stored(ctx) and dispatcher.raw == [raw_id]
