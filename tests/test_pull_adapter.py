"""sync/pull.py runs a manifest in-process: paging, state saved with its records, incremental re-reads."""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors import registry
from core.context import Context
from core.errors import AuthExpired, ConfigurationError
from core.models import Connection, Lead, RawRecord, SyncState
from sync import cdk_tuning, connections, pipeline, pull
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


def test_a_replacement_must_point_at_something_in_the_manifest(tmp_path: Any) -> None:
    manifest: dict[str, Any] = {"definitions": {"flatten": {"type": "AddFields"}}, "streams": [{"a": 1}, {"a": 2}]}
    pull._replace(manifest, "/definitions/flatten", {"type": "CustomTransformation"}, tmp_path / "m.yaml")
    pull._replace(manifest, "/streams/1/a", 3, tmp_path / "m.yaml")
    assert manifest == {"definitions": {"flatten": {"type": "CustomTransformation"}}, "streams": [{"a": 1}, {"a": 3}]}
    for pointer in ("/definitions/gone", "/streams/2/a", "/streams/x/a", "/nothing/here"):
        with pytest.raises(ConfigurationError, match="REPLACEMENTS"):
            pull._replace(manifest, pointer, {}, tmp_path / "m.yaml")


def test_each_source_gets_its_own_copy_of_the_cached_manifest() -> None:
    plugin = registry.get("meta_lead_ads", "source").load()
    first = pull.manifest_for(plugin)
    first["definitions"]["flatten"]["class_name"] = "changed.by.Someone"
    assert pull.manifest_for(plugin)["definitions"]["flatten"]["class_name"].endswith("in_process.Flatten")


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"data": [{"id": 1}, {"id": 2}], "paging": {"next": "x"}}, ["data"]),
        ({"data": {"list": [{"id": 1}]}}, ["data", "list"]),
        ({"data": None}, ["data"]),
        ({"data": {}}, ["data"]),
        ({"other": []}, ["data"]),
        ({"data": [1, 2]}, ["data", "0"]),  # a list on the way: dpath's own rules
        ([{"data": 1}], ["data"]),
    ],
)
def test_the_fast_extractor_path_finds_what_dpath_finds(body: Any, path: list[str]) -> None:
    import dpath

    assert cdk_tuning.walk(body, path) == dpath.get(body, path, default=[])


def test_cached_datetime_parsing_gives_what_strptime_gives() -> None:
    pull._import_cdk()
    from airbyte_cdk.sources.declarative.datetime.datetime_parser import DatetimeParser

    parser = DatetimeParser()
    for value, fmt in [("2026-01-02T14:03:52+0000", "%Y-%m-%dT%H:%M:%S%z"), ("1767362632000", "%ms"), (5, "%s")]:
        first, again = parser.parse(value, fmt), parser.parse(value, fmt)
        assert first == again and first.tzinfo is not None
    with pytest.raises(ValueError):
        parser.parse("not a time", "%Y-%m-%dT%H:%M:%S%z")
