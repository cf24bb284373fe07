"""Pull a source connection through its airbyte-cdk manifest, in this (worker or CLI) process.

Rules from docs/airbyte-cdk notes: one source object per sync (config, catalog and state are bound in
its constructor), our logging restored after the CDK import, no request-cache files, ``read()`` called
directly (never ``launch``), CDK errors turned into our typed errors. Records and the state that follows
them commit together, so a crash re-reads at most one batch, which the lead key dedupes.
"""

from __future__ import annotations

import ast
import copy
import functools
import importlib
import importlib.util
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from sqlalchemy import select

from connectors import registry
from core.context import Context
from core.errors import AuthExpired, ConfigurationError, SourceError
from core.models import Connection, SyncState, utcnow
from sync import cdk_tuning, connections, notices
from webhooks import inbox

log = logging.getLogger(__name__)
BATCH = 500


@dataclass
class PullResult:
    records: int = 0
    stored: int = 0
    skipped_known: int = 0


_AST_LOCK = threading.RLock()


def _serialise_ast_parse() -> None:
    """Let one thread at a time run ``ast.parse``: the CDK's Jinja interpolation calls ``ast.literal_eval`` from
    its worker threads, and CPython 3.11.x/3.12.0 share the AST recursion counter between threads, which
    fails at random with "SystemError: AST constructor recursion depth mismatch" (CPython gh-106905)."""
    if getattr(ast.parse, "_leadhub_serialised", False):
        return
    original = ast.parse

    @functools.wraps(original)
    def parse(*args: Any, **kwargs: Any) -> Any:
        with _AST_LOCK:
            return original(*args, **kwargs)

    parse._leadhub_serialised = True  # type: ignore[attr-defined]
    ast.parse = parse


def _import_cdk() -> Any:
    """Import the CDK without letting it take over the root logger (it installs a JSON stdout handler)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    os.environ.pop("REQUEST_CACHE_PATH", None)  # never write raw API responses (personal data) to disk
    _serialise_ast_parse()
    import airbyte_cdk.models as models
    from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
    from airbyte_cdk.utils.traced_exception import AirbyteTracedException

    cdk_tuning.apply()

    root.handlers[:] = handlers
    root.setLevel(level)
    # the CDK logs every request at INFO; ours decides what a worker prints
    logging.getLogger("airbyte").setLevel(max(level, logging.WARNING))
    return models, ConcurrentDeclarativeSource, AirbyteTracedException


_MANIFESTS: dict[tuple[str, int], dict[str, Any]] = {}
_MANIFESTS_LOCK = threading.Lock()


def manifest_for(plugin: ModuleType) -> dict[str, Any]:
    """The connector's manifest as this process runs it: parsed once per file version, with the replacements its
    ``in_process`` module declares (Python stand-ins for costly Jinja); a fresh copy per source object, because
    the CDK edits the manifest while resolving it."""
    path: Path = plugin.MANIFEST
    key = (str(path), path.stat().st_mtime_ns)
    with _MANIFESTS_LOCK:
        base = _MANIFESTS.get(key)
        if base is None:
            base = yaml.safe_load(path.read_text(encoding="utf-8"))
            for pointer, definition in _replacements(plugin).items():
                _replace(base, pointer, definition, path)
            _MANIFESTS[key] = base
    return copy.deepcopy(base)


def _replacements(plugin: ModuleType) -> dict[str, Any]:
    name = f"{plugin.__name__}.in_process"
    if importlib.util.find_spec(name) is None:
        return {}
    return dict(importlib.import_module(name).REPLACEMENTS)


def _replace(manifest: dict[str, Any], pointer: str, definition: Any, path: Path) -> None:
    """Put ``definition`` at a JSON pointer that must exist, so a reshaped manifest fails loudly, not silently."""
    *parents, leaf = [part.replace("~1", "/").replace("~0", "~") for part in pointer.lstrip("/").split("/")]
    node: Any = manifest
    try:
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        exists = int(leaf) < len(node) if isinstance(node, list) else leaf in node
    except (KeyError, IndexError, ValueError, TypeError):
        exists = False
    if not exists:
        raise ConfigurationError(
            f"{path} has nothing at {pointer}, which its in_process module replaces; update REPLACEMENTS there."
        )
    node[int(leaf) if isinstance(node, list) else leaf] = copy.deepcopy(definition)


def run(ctx: Context, connection_name: str, progress: Callable[[int], None] | None = None) -> PullResult:
    view = connections.find(ctx, connection_name)
    plugin = registry.get(view.platform, "source").load()
    manifest_path = getattr(plugin, "MANIFEST", None)
    if manifest_path is None:
        raise ConfigurationError(f"{view.platform} cannot be pulled; it only receives pushes.")
    models, Source, TracedError = _import_cdk()
    config = plugin.source_config(view)
    stream_name: str = plugin.RECORD_STREAM
    with ctx.db.session() as session:
        saved = session.scalar(
            select(SyncState.state).where(SyncState.connection_id == view.id, SyncState.stream == stream_name)
        )
    state = [models.AirbyteStateMessageSerializer.load(saved)] if saved else []
    probe = Source(source_config=manifest_for(plugin), config=config)
    catalog = _catalog(models, probe.discover(log, config), stream_name)
    source = Source(source_config=manifest_for(plugin), config=config, catalog=catalog, state=state)
    result = PullResult()
    batch: list[tuple[str, dict[str, Any]]] = []
    stream_errors: list[Any] = []
    try:
        for kind, payload in _messages(models, source, config, catalog, state, log):
            if kind == "record" and payload[0] == stream_name:
                batch.append((plugin.record_id(payload[1]), payload[1]))
                result.records += 1
                if progress:
                    progress(1)
                if len(batch) >= BATCH:
                    _flush(ctx, view.id, view.platform, stream_name, batch, None, result)
            elif kind == "state":
                _flush(ctx, view.id, view.platform, stream_name, batch, payload, result)
            elif kind == "error":
                stream_errors.append(payload)
    except TracedError as exc:
        _flush(ctx, view.id, view.platform, stream_name, batch, None, result)
        raise _typed(exc, stream_errors, ctx, view.id) from None
    _flush(ctx, view.id, view.platform, stream_name, batch, None, result)
    _finish(ctx, view.id)
    return result


def _catalog(models: Any, discovered: Any, stream_name: str) -> Any:
    streams = []
    for stream in discovered.streams:
        if stream.name != stream_name:
            continue
        incremental = models.SyncMode.incremental in (stream.supported_sync_modes or [])
        streams.append(
            models.ConfiguredAirbyteStream(
                stream=stream,
                sync_mode=models.SyncMode.incremental if incremental else models.SyncMode.full_refresh,
                destination_sync_mode=models.DestinationSyncMode.append,
            )
        )
    if not streams:
        raise ConfigurationError(f"The manifest has no stream named {stream_name!r}.")
    return models.ConfiguredAirbyteCatalog(streams=streams)


def _messages(
    models: Any, source: Any, config: Any, catalog: Any, state: Any, logger: logging.Logger
) -> Iterator[tuple[str, Any]]:
    for message in source.read(logger, config, catalog, state):
        if message.type == models.Type.RECORD:
            yield "record", (message.record.stream, message.record.data)
        elif message.type == models.Type.STATE:
            yield "state", models.AirbyteStateMessageSerializer.dump(message.state)
        elif message.type == models.Type.TRACE and message.trace.error is not None:
            log.warning("source error: %s", message.trace.error.message)
            yield "error", message.trace.error


def _flush(
    ctx: Context,
    connection_id: str,
    source: str,
    stream: str,
    batch: list[tuple[str, dict[str, Any]]],
    state: dict[str, Any] | None,
    result: PullResult,
) -> None:
    """Store new records (those not already a lead or a waiting raw record) and the state after them."""
    if not batch and state is None:
        return
    records = [(key, json.dumps(record, ensure_ascii=False, default=str).encode()) for key, record in batch]
    with ctx.db.transaction() as session:
        stored = inbox.insert_new(session, connection_id, source, records)
        if state is not None:
            row = session.get(SyncState, (connection_id, stream))
            if row is None:
                session.add(SyncState(connection_id=connection_id, stream=stream, state=state))
            else:
                row.state = state
    result.skipped_known += len(batch) - len(stored)
    result.stored += len(stored)
    batch.clear()
    inbox.dispatch(ctx, stored)


_QUERY = re.compile(r"(https?://[^\s'\"?]+)\?[^\s'\"]*")


def _scrub(message: str) -> str:
    """Query strings can carry tokens (appsecret_proof, access_token): never keep them in a status message."""
    return _QUERY.sub(r"\1?…", message)[:1000]


def _typed(exc: Any, stream_errors: list[Any], ctx: Context, connection_id: str) -> SourceError:
    """The CDK's traced error as ours. The concurrent CDK ends every failed read with a summary typed
    ``config_error``, so only the streams' own errors say whether the credentials are at fault."""
    own = [e for e in stream_errors if "summary" not in str(getattr(e, "message", "")).lower()] or stream_errors
    auth = [e for e in own if "config_error" in str(getattr(e, "failure_type", "") or "")]
    message = _scrub(str(getattr(auth[0] if auth else (own[0] if own else exc), "message", None) or exc))
    if auth or (not stream_errors and "config_error" in str(getattr(exc, "failure_type", "") or "")):
        notices.mark_needs_reauth(ctx, connection_id, message)
        return AuthExpired(message)
    return SourceError(message)


def _finish(ctx: Context, connection_id: str) -> None:
    with ctx.db.transaction() as session:
        conn = session.get(Connection, connection_id)
        if conn is not None:
            conn.last_sync_at = utcnow()
            if conn.status != "ok":
                conn.status, conn.status_message, conn.rate_limited_until = "ok", None, None


def check(ctx: Context, connection_name: str) -> str:
    """Test a connection's credentials the way its platform allows; the connection's status says the result."""
    view = connections.find(ctx, connection_name)
    info = registry.get(view.platform)
    plugin = info.load()
    try:
        if callable(getattr(plugin, "check", None)):
            from connectors.sources.base import new_http

            plugin.check(view, new_http())
        elif getattr(plugin, "MANIFEST", None) is not None:
            _check_manifest(plugin, view)
    except AuthExpired as exc:
        notices.mark_needs_reauth(ctx, view.id, str(exc))
        return f"needs re-authorisation: {exc}"
    except SourceError as exc:
        _set_error(ctx, view.id, str(exc))
        return f"error: {exc}"
    notices.mark_ok(ctx, view.id)
    return "ok"


def _check_manifest(plugin: Any, view: connections.ConnectionView) -> None:
    models, Source, _traced = _import_cdk()
    config = plugin.source_config(view)
    status = Source(source_config=manifest_for(plugin), config=config).check(log, config)
    if status.status != models.Status.SUCCEEDED:
        message = str(status.message or "check failed")
        if "401" in message or "403" in message or "auth" in message.lower() or "token" in message.lower():
            raise AuthExpired(message)
        raise SourceError(message)


def _set_error(ctx: Context, connection_id: str, message: str) -> None:
    with ctx.db.transaction() as session:
        conn = session.get(Connection, connection_id)
        if conn is not None:
            conn.status, conn.status_message = "error", message
