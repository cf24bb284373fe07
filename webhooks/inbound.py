"""``POST /hooks/<source>/<connection>``: size check, signature, parse, durable store, then 202."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from connectors import registry
from connectors.sources import base as sources
from connectors.sources.base import HandshakeReply, has
from core.context import Context
from core.errors import ConfigurationError, InboundRejected, NotFound, PayloadMalformed, PayloadTooLarge
from core.ttlcache import TTLCache
from sync import connections
from webhooks import inbox

log = logging.getLogger(__name__)
bp = Blueprint("hooks", __name__)

_CACHE_TTL_S = 5.0


class ConnectionCache:
    """Connections change rarely; a few seconds of caching keeps intake to one write per request."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._cache: TTLCache[str, connections.ConnectionView] = TTLCache(_CACHE_TTL_S)

    def get(self, name: str) -> connections.ConnectionView:
        return self._cache.get(name, lambda: connections.find(self._ctx, name))


def _problem(status: int, title: str, detail: str) -> Any:
    response = jsonify({"type": "about:blank", "title": title, "status": status, "detail": detail})
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _read_body(limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"Body is {request.content_length} bytes; the limit is {limit} bytes.")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge(f"Body is over the limit of {limit} bytes.")
    return body


def _check(plugin: Any, conn: connections.ConnectionView, body: bytes, ctx: Context) -> tuple[str, str | None]:
    """Verify the request and say what it is: a record, a notice naming records, or an ATS status update."""
    if conn.direction == "sink":  # an ATS telling us where an application stands
        if not has(plugin, "verify_status"):
            raise NotFound(f"{conn.platform} sends no status webhooks to leadhub.")
        plugin.verify_status(request.headers, body, conn)
        return "status", None
    if not has(plugin, "verify"):
        raise NotFound(f"{conn.platform} does not push to leadhub; it is pulled.")
    sources.verify(plugin, request.headers, body, conn, ctx.settings.signature_tolerance_s, request.args)
    if has(plugin, "notices"):  # the push names records that a worker fetches
        if not plugin.notices(body):
            raise PayloadMalformed("The push names no records; nothing to do.")
        return "notice", None
    return "record", plugin.external_id(body)  # the push is the record itself


@bp.post("/hooks/<source>/<connection>")
def receive(source: str, connection: str) -> Any:
    ctx: Context = current_app.extensions["leadhub"]
    cache: ConnectionCache = current_app.extensions["leadhub.connections"]
    try:
        body = _read_body(ctx.settings.max_body_bytes)
        conn = cache.get(connection)
        if conn.platform != source:
            raise NotFound(f"Connection {connection!r} is not a {source} connection.")
        if not conn.enabled:
            return _problem(409, "Connection disabled", f"Connection {connection!r} is disabled; enable it first.")
        plugin = registry.get(source, conn.direction).load()
        kind, external_id = _check(plugin, conn, body, ctx)
    except NotFound as exc:
        return _problem(404, "Unknown connection", str(exc))
    except ConfigurationError as exc:  # e.g. a secret stored under another LEADHUB_SECRET_KEY
        log.error("inbound %s/%s cannot be checked: %s", source, connection, exc)
        return _problem(500, "Connection misconfigured", str(exc))
    except (InboundRejected, RequestEntityTooLarge) as exc:
        status = getattr(exc, "status", None) or 413
        log.info("inbound %s/%s rejected with %s", source, connection, status)
        return _problem(status, type(exc).__name__, str(exc) if isinstance(exc, InboundRejected) else "Too large")
    committer: inbox.GroupCommitter = current_app.extensions["leadhub.inbox"]
    raw_id = committer.store(conn.id, source, body, external_id, request.mimetype, kind)
    # 202 says "stored, not yet processed"; a platform that counts anything but 200 as failure says so
    return jsonify({"status": "accepted", "raw_record_id": raw_id}), int(getattr(plugin, "ACK_STATUS", 202))


@bp.get("/hooks/<source>/<connection>")
def handshake(source: str, connection: str) -> Any:
    """Platforms that verify an endpoint first (Meta's hub.challenge, LinkedIn's challengeCode) call GET."""
    cache: ConnectionCache = current_app.extensions["leadhub.connections"]
    try:
        conn = cache.get(connection)
        if conn.platform != source:
            raise NotFound(f"Connection {connection!r} is not a {source} source.")
        plugin = registry.get(source, "source").load()
    except NotFound as exc:
        return _problem(404, "Unknown connection", str(exc))
    if not has(plugin, "handshake"):
        return _problem(405, "No handshake", f"{source} does not verify endpoints with GET; POST the events here.")
    reply: HandshakeReply = plugin.handshake(request.args, conn)
    return Response(reply.body, status=reply.status, mimetype=reply.content_type)
