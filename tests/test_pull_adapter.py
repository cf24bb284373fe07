"""sync/pull.py runs a manifest in-process: paging, state saved with its records, incremental re-reads."""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors import registry
from core.context import Context
from core.errors import AuthExpired
from core.models import Connection, Lead, RawRecord, SyncState
from sync import connections, pipeline, pull
from tests.toy_source import ToyApi


@pytest.fixture
def toy(ctx: Context, live_server: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[ToyApi, str]:
    monkeypatch.setitem(
        registry.CONNECTORS,
        "toy_source",
        registry.ConnectorInfo("toy_source", "source", "tests.toy_source", "available"),
    )
    api = ToyApi()
    server = live_server(api.app())
    connections.create(ctx, "toy", "toy_source", {"base_url": server.url}, {"access_token": "good"})
    return api, server.url


def count(ctx: Context, model: Any) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_full_sync_follows_every_page_and_saves_state(ctx: Context, toy: tuple[ToyApi, str], dispatcher: Any) -> None:
    api, _ = toy
    api.add(8, at=1_790_000_000)
    seen: list[int] = []
    result = pull.run(ctx, "toy", progress=seen.append)
    assert (result.records, result.stored) == (8, 8)
    assert len(seen) == 8
    assert sum("after=" in path for path in api.requests) == 2  # pages 2 and 3 of 3
    assert len(dispatcher.raw) == 8
    with ctx.db.session() as session:
        state = session.scalar(select(SyncState.state))
    assert state["stream"]["stream_descriptor"]["name"] == "leads"
    for raw_id in dispatcher.raw:
        pipeline.process(ctx, raw_id)
    assert count(ctx, Lead) == 8


def test_incremental_sync_reads_only_new_leads(ctx: Context, toy: tuple[ToyApi, str], dispatcher: Any) -> None:
    api, _ = toy
    api.add(5, at=1_790_000_000)
    pull.run(ctx, "toy")
    api.add(2, at=1_790_100_000)
    api.requests.clear()
    second = pull.run(ctx, "toy")
    assert second.stored == 2  # the overlap re-read (if any) is skipped, not stored again
    assert count(ctx, RawRecord) == 7


def test_expired_token_flags_the_connection_for_reauthorisation(ctx: Context, toy: tuple[ToyApi, str]) -> None:
    api, _ = toy
    api.token = "rotated"
    with pytest.raises(AuthExpired):
        pull.run(ctx, "toy")
    with ctx.db.session() as session:
        conn = session.scalar(select(Connection).where(Connection.name == "toy"))
    assert conn.status == "needs_reauth" and "Re-authorise" in conn.status_message


def test_no_request_cache_files_are_written(ctx: Context, toy: tuple[ToyApi, str], tmp_path: Any) -> None:
    api, _ = toy
    api.add(3, at=1_790_000_000)
    os.environ["REQUEST_CACHE_PATH"] = str(tmp_path / "cache")
    try:
        pull.run(ctx, "toy")
    finally:
        os.environ.pop("REQUEST_CACHE_PATH", None)
    assert not (tmp_path / "cache").exists()
