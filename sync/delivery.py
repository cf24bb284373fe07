"""The delivery engine: claim an outbox row, send it, record the attempt, schedule the retry or dead-letter it.

Endpoint deliveries go out as Standard Webhooks; connection deliveries go through their sink module
(``connectors/sinks/<platform>``), batched when the sink can, with the remote ids it reports recorded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import BindParameter, and_, bindparam, func, insert, or_, select, update
from sqlalchemy import Connection as SAConnection
from sqlalchemy.orm import Session

from connectors.sinks import webhook as webhook_sink
from connectors.sinks.base import SendResult
from core.context import Context
from core.errors import ConfigurationError
from core.http import VendorSession
from core.ids import new_id
from core.models import Connection, Delivery, DeliveryAttempt, WebhookEndpoint, utcnow
from sync import retry, sinks

log = logging.getLogger(__name__)
_local = threading.local()
AUTH_WAIT_S = 300.0
_SECRETS: dict[tuple[str, str], str] = {}  # (LEADHUB_SECRET_KEY, ciphertext) → plaintext, this process only


def _http() -> requests.Session:
    """One keep-alive session per worker thread."""
    session = getattr(_local, "http", None)
    if session is None:
        session = _local.http = VendorSession()
    return session


_CLAIMED = (
    Delivery.id,
    Delivery.sink,
    Delivery.endpoint_id,
    Delivery.connection_id,
    Delivery.event_id,
    Delivery.subject_type,
    Delivery.subject_id,
    Delivery.body,
    Delivery.attempt_count,
)
# Statements are built once with bind parameters: building them per attempt cost more than running them.
_NOW: BindParameter[datetime] = bindparam("p_now", type_=Delivery.next_attempt_at.type)
_CLAIMABLE = or_(  # due, or held by a worker whose lease ran out (it crashed)
    and_(Delivery.status == "pending", Delivery.next_attempt_at <= _NOW),
    and_(Delivery.status == "in_flight", Delivery.lease_until < _NOW),
)
_TAKE = update(Delivery).values(status="in_flight", lease_until=bindparam("p_lease_until")).returning(*_CLAIMED)
_CLAIM_ONE = _TAKE.where(Delivery.id == bindparam("p_delivery_id"), _CLAIMABLE)
_CLAIM_MORE = _TAKE.where(
    Delivery.id.in_(
        select(Delivery.id)
        .where(
            Delivery.connection_id == bindparam("p_connection_id"),
            Delivery.status == "pending",
            Delivery.next_attempt_at <= _NOW,
            Delivery.id != bindparam("p_delivery_id"),
        )
        .order_by(Delivery.next_attempt_at)
        .limit(bindparam("p_limit"))
        .with_for_update(skip_locked=True)  # PostgreSQL: skip rows another worker is claiming right now
        .scalar_subquery()
    ),
    _CLAIMABLE,
)
_FINISH = (
    update(Delivery)
    .where(Delivery.id == bindparam("p_delivery_id"))
    .values(
        attempt_count=bindparam("p_attempt_count"),
        status=bindparam("p_status"),
        lease_until=None,
        last_error=bindparam("p_last_error"),
        delivered_at=func.coalesce(
            bindparam("p_delivered_at", type_=Delivery.delivered_at.type), Delivery.delivered_at
        ),
        remote_id=func.coalesce(bindparam("p_remote_id", type_=Delivery.remote_id.type), Delivery.remote_id),
        next_attempt_at=func.coalesce(
            bindparam("p_next_attempt_at", type_=Delivery.next_attempt_at.type), Delivery.next_attempt_at
        ),
    )
)
_RECORD_ATTEMPT = insert(DeliveryAttempt).values(
    id=bindparam("p_id"),
    delivery_id=bindparam("p_delivery_id"),
    number=select(func.coalesce(func.max(DeliveryAttempt.number), 0) + 1)  # every attempt ever, replays included
    .where(DeliveryAttempt.delivery_id == bindparam("p_delivery_id"))
    .scalar_subquery(),
    started_at=bindparam("p_started_at"),
    duration_ms=bindparam("p_duration_ms"),
    request_summary=bindparam("p_request_summary"),
    status_code=bindparam("p_status_code"),
    response_excerpt=bindparam("p_response_excerpt"),
    outcome=bindparam("p_outcome"),
    error=bindparam("p_error"),
)
_IS_CLAIMABLE = select(Delivery.id).where(Delivery.id == bindparam("p_delivery_id"), _CLAIMABLE)
_BATCH_LOCKS: dict[str, threading.Lock] = {}
_BATCH_LOCKS_GUARD = threading.Lock()
_TARGET = (
    select(
        Delivery.connection_id,
        WebhookEndpoint.name,
        WebhookEndpoint.url,
        WebhookEndpoint.enabled,
        WebhookEndpoint.disabled_reason,
        WebhookEndpoint.failing_since,
        WebhookEndpoint.secret_encrypted,
        WebhookEndpoint.previous_secret_encrypted,
        WebhookEndpoint.previous_secret_expires_at,
    )
    .outerjoin(WebhookEndpoint, WebhookEndpoint.id == Delivery.endpoint_id)
    .where(Delivery.id == bindparam("p_delivery_id"))
)
_THIS_ENDPOINT = WebhookEndpoint.id == bindparam("p_endpoint_id")
_ENDPOINT_HEALTHY = (
    update(WebhookEndpoint)
    .where(_THIS_ENDPOINT, WebhookEndpoint.failing_since.is_not(None))
    .values(failing_since=None)
)
_ENDPOINT_FAILING_SINCE = select(WebhookEndpoint.failing_since).where(_THIS_ENDPOINT)
_ENDPOINT_FAILING = update(WebhookEndpoint).where(_THIS_ENDPOINT).values(failing_since=bindparam("p_failing_since"))
_ENDPOINT_DISABLE = (
    update(WebhookEndpoint).where(_THIS_ENDPOINT).values(enabled=False, disabled_reason=bindparam("p_reason"))
)


def _claim(ctx: Context, statement: Any, **params: Any) -> list[Delivery]:
    """Take claimable rows for one lease and read them in the same statement (``RETURNING``)."""
    now = utcnow()
    with ctx.db.write() as conn:
        rows = conn.execute(
            statement,
            {
                "p_now": now,
                "p_lease_until": now + timedelta(seconds=ctx.settings.lease_s),
                **{f"p_{k}": v for k, v in params.items()},
            },
        ).all()
    return [Delivery(**row._mapping) for row in rows]  # detached copies: read-only from here on


def claim(ctx: Context, delivery_id: str) -> bool:
    """Take the row for one lease: only if it is due, or if a crashed worker's lease ran out."""
    return bool(_claim(ctx, _CLAIM_ONE, delivery_id=delivery_id))


@dataclass(frozen=True)
class Sent:
    delivery: Delivery
    result: SendResult | None
    forced: str | None = None
    forced_error: str | None = None
    duration_ms: float = 0.0
    started_at: datetime | None = None
    endpoint_failing: bool = True  # as read before sending; a success then clears it (else nothing to write)


def attempt(ctx: Context, delivery_id: str) -> str | None:
    """One attempt of one delivery (and of the others batched with it); returns this delivery's new status,
    or ``None`` if another worker holds it."""
    with ctx.db.engine.connect() as conn:  # one read says where it goes and, for an endpoint, how to sign
        target = conn.execute(_TARGET, {"p_delivery_id": delivery_id}).first()
    if target is None:
        return None
    if target.connection_id is not None:
        return _attempt_sink(ctx, delivery_id, target.connection_id)
    claimed = _claim(ctx, _CLAIM_ONE, delivery_id=delivery_id)
    if not claimed:
        return None
    return _finish(ctx, [_send_to_endpoint(ctx, claimed[0], target)])[0]


def _attempt_sink(ctx: Context, delivery_id: str, connection_id: str) -> str | None:
    """A batching sink sends one batch per connection at a time from this process, and takes the rate-limit
    token *before* it claims: what falls due while it waits joins the batch, so a backlog drains in a few
    large calls instead of many small ones queued behind the limit."""
    with ctx.db.session() as session:
        connection = session.get(Connection, connection_id)
    if connection is None:
        claimed = _claim(ctx, _CLAIM_ONE, delivery_id=delivery_id)
        return (
            _finish(ctx, [Sent(claimed[0], None, "dead", "Its sink connection was deleted.")])[0] if claimed else None
        )
    plugin = sinks.plugin(connection.platform)
    limit = int(getattr(plugin, "BATCH_SIZE", 1))
    if limit <= 1:
        claimed = _claim(ctx, _CLAIM_ONE, delivery_id=delivery_id)
        return _finish(ctx, _send_to_sink(ctx, connection, plugin, claimed))[0] if claimed else None
    with _batch_turn(connection.id):
        with ctx.db.engine.connect() as conn:  # taken by the batch before ours? then no token is spent on it
            if not conn.execute(_IS_CLAIMABLE, {"p_delivery_id": delivery_id, "p_now": utcnow()}).scalar():
                return None
        sinks.take_token(ctx, plugin, connection)
        claimed = _claim(ctx, _CLAIM_ONE, delivery_id=delivery_id)
        if not claimed:
            return None
        claimed += _claim_more(ctx, connection.id, delivery_id, limit - 1)
        return _finish(ctx, _send_to_sink(ctx, connection, plugin, claimed, prepaid=1))[0]


@contextmanager
def _batch_turn(connection_id: str) -> Iterator[None]:
    with _BATCH_LOCKS_GUARD:
        lock = _BATCH_LOCKS.setdefault(connection_id, threading.Lock())
    with lock:
        yield


def _secret(ctx: Context, encrypted: str) -> str:
    """Decrypting costs more than the whole HTTP call; a ciphertext always decrypts to the same secret."""
    key = (ctx.settings.secret_key, encrypted)
    secret = _SECRETS.get(key)
    if secret is None:
        secret = ctx.box.decrypt(encrypted)
        if len(_SECRETS) > 1000:
            _SECRETS.clear()
        _SECRETS[key] = secret
    return secret


def _send_to_endpoint(ctx: Context, delivery: Delivery, endpoint: Any) -> Sent:
    if endpoint.url is None:
        return Sent(delivery, None, "dead", "Its webhook endpoint was deleted.")
    if not endpoint.enabled:
        return Sent(delivery, None, "dead", f"Endpoint {endpoint.name} is disabled: {endpoint.disabled_reason}")
    started_at, started = utcnow(), time.perf_counter()
    try:
        secrets = [_secret(ctx, endpoint.secret_encrypted)]
        expires = endpoint.previous_secret_expires_at
        if endpoint.previous_secret_encrypted and expires and expires > started_at:
            secrets.append(_secret(ctx, endpoint.previous_secret_encrypted))  # rotation: both sign meanwhile
    except ConfigurationError as exc:
        return Sent(delivery, None, "dead", f"Not sent: {exc}")
    result = webhook_sink.send(
        _http(), endpoint.url, delivery.event_id or delivery.id, delivery.body, secrets, ctx.settings.delivery_timeout_s
    )
    return Sent(
        delivery,
        result,
        duration_ms=(time.perf_counter() - started) * 1000,
        started_at=started_at,
        endpoint_failing=endpoint.failing_since is not None,
    )


def _send_to_sink(
    ctx: Context, connection: Connection, plugin: Any, batch: list[Delivery], prepaid: int = 0
) -> list[Sent]:
    """One call (or one per delivery) to the sink for the claimed deliveries."""
    started_at, started = utcnow(), time.perf_counter()
    try:
        results = sinks.send(ctx, plugin, connection, batch, _http(), prepaid)
    except ConfigurationError as exc:
        return [Sent(d, None, "dead", f"Not sent: {exc}") for d in batch]
    duration_ms = (time.perf_counter() - started) * 1000 / len(batch)
    return [Sent(d, r, duration_ms=duration_ms, started_at=started_at) for d, r in zip(batch, results, strict=True)]


def _claim_more(ctx: Context, connection_id: str, first_id: str, limit: int) -> list[Delivery]:
    """The next due deliveries of the same connection, claimed in one statement."""
    return _claim(ctx, _CLAIM_MORE, connection_id=connection_id, delivery_id=first_id, limit=limit)


def _decide(ctx: Context, sent: Sent, number: int) -> tuple[str, str | None, float | None]:
    """The new status, the error to keep, and the delay before the next attempt (if any)."""
    if sent.forced:
        return sent.forced, sent.forced_error, None
    result = sent.result
    assert result is not None
    if result.outcome == "delivered":
        return "delivered", None, None
    if result.outcome == "auth":  # not the delivery's fault: it waits for the re-authorisation
        return "pending", result.error, AUTH_WAIT_S
    if result.outcome == "transient":
        delay = retry.next_delay(
            number, ctx.settings.retry_schedule, ctx.settings.retry_jitter, retry.parse_retry_after(result.retry_after)
        )
        if delay is None:
            return "dead", f"{result.error} Gave up after {number} attempts; replay it once the vendor works.", None
        return "pending", result.error, delay
    return "dead", result.error, None


def _finish(ctx: Context, batch: list[Sent]) -> list[str]:
    """Record the attempts of one call in one transaction; schedule the retries; return the new statuses."""
    now = utcnow()
    decided = [
        (sent, sent.delivery.attempt_count + 1, *_decide(ctx, sent, sent.delivery.attempt_count + 1)) for sent in batch
    ]  # attempt_count: attempts since creation or the last replay (the schedule's index)
    with ctx.db.write() as conn:
        for sent, number, status, error, delay in decided:
            _record(ctx, conn, sent, number, status, error, delay, now)
        sink_results = [
            (sent.delivery, sent.result)
            for sent, *_ in decided
            if sent.result is not None and sent.delivery.connection_id
        ]
        if sink_results:
            with Session(bind=conn) as session:  # joins this transaction
                for row, result in sink_results:
                    sinks.after_send(session, row, result)
                session.flush()
    for sent, number, status, _error, delay in decided:
        if delay is not None:
            ctx.dispatch.deliver(sent.delivery.id, delay)
        log.debug("delivery %s attempt %d: %s", sent.delivery.id, number, status)
    return [status for _sent, _number, status, _error, _delay in decided]


def _record(
    ctx: Context,
    conn: SAConnection,
    sent: Sent,
    number: int,
    status: str,
    error: str | None,
    delay: float | None,
    now: datetime,
) -> None:
    """The delivery's new state, its attempt row, and the endpoint's health: Core statements, no unit of work."""
    delivery, result = sent.delivery, sent.result
    delivered = status == "delivered"
    conn.execute(
        _FINISH,
        {
            "p_delivery_id": delivery.id,
            "p_attempt_count": number,
            "p_status": status,
            "p_last_error": error,
            "p_delivered_at": now if delivered else None,
            "p_remote_id": result.remote_id if delivered and result is not None else None,
            "p_next_attempt_at": now + timedelta(seconds=delay) if delay is not None else None,
        },
    )
    conn.execute(
        _RECORD_ATTEMPT,
        {
            "p_id": new_id("att"),
            "p_delivery_id": delivery.id,
            "p_started_at": sent.started_at or now,
            "p_duration_ms": sent.duration_ms,
            "p_request_summary": result.request_summary if result else "not sent",
            "p_status_code": result.status_code if result else None,
            "p_response_excerpt": result.excerpt if result else None,
            "p_outcome": {"pending": "retry"}.get(status, status),
            "p_error": error,
        },
    )
    if result is not None and delivery.endpoint_id:
        _track_endpoint_health(ctx, conn, delivery.endpoint_id, sent, now)


def _track_endpoint_health(ctx: Context, conn: SAConnection, endpoint_id: str, sent: Sent, now: datetime) -> None:
    """410 disables at once; failing without a success for ``endpoint_disable_after_s`` disables too."""
    assert sent.result is not None
    this = {"p_endpoint_id": endpoint_id}
    if sent.result.outcome == "delivered":
        if sent.endpoint_failing:
            conn.execute(_ENDPOINT_HEALTHY, this)
        return
    if sent.result.outcome == "gone":
        reason = "The endpoint answered 410 Gone. Check the URL with the vendor, then re-enable it."
        conn.execute(_ENDPOINT_DISABLE, {**this, "p_reason": reason})
        return
    failing_since = conn.execute(_ENDPOINT_FAILING_SINCE, this).scalar()
    if failing_since is None:
        conn.execute(_ENDPOINT_FAILING, {**this, "p_failing_since": now})
    elif (now - failing_since).total_seconds() > ctx.settings.endpoint_disable_after_s:
        reason = (
            f"Every attempt failed since {failing_since:%Y-%m-%d %H:%M} UTC. Fix the endpoint, "
            "re-enable it and replay its dead deliveries."
        )
        conn.execute(_ENDPOINT_DISABLE, {**this, "p_reason": reason})
