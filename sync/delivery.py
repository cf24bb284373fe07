"""The delivery engine: claim an outbox row, send it, record the attempt, schedule the retry or dead-letter it.

Endpoint deliveries go out as Standard Webhooks; connection deliveries go through their sink module
(``connectors/sinks/<platform>``), batched when the sink can, with the remote ids it reports recorded.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from sqlalchemy import and_, func, or_, select, update

from connectors.sinks import webhook as webhook_sink
from connectors.sinks.base import SendResult
from core.context import Context
from core.errors import ConfigurationError
from core.ids import new_id
from core.models import Connection, Delivery, DeliveryAttempt, WebhookEndpoint, utcnow
from sync import retry, sinks
from webhooks import endpoints

log = logging.getLogger(__name__)
_local = threading.local()
AUTH_WAIT_S = 300.0


def _http() -> requests.Session:
    """One keep-alive session per worker thread."""
    session = getattr(_local, "http", None)
    if session is None:
        session = _local.http = requests.Session()
    return session


def claim(ctx: Context, delivery_id: str) -> bool:
    """Take the row for one lease: only if it is due, or if a crashed worker's lease ran out."""
    now = utcnow()
    with ctx.db.transaction() as session:
        result = session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                or_(
                    and_(Delivery.status == "pending", Delivery.next_attempt_at <= now),
                    and_(Delivery.status == "in_flight", Delivery.lease_until < now),
                ),
            )
            .values(status="in_flight", lease_until=now + timedelta(seconds=ctx.settings.lease_s))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Sent:
    delivery: Delivery
    result: SendResult | None
    forced: str | None = None
    forced_error: str | None = None
    duration_ms: float = 0.0
    started_at: datetime | None = None


def attempt(ctx: Context, delivery_id: str) -> str | None:
    """One attempt of one delivery (and of the others batched with it); returns this delivery's new status,
    or ``None`` if another worker holds it."""
    if not claim(ctx, delivery_id):
        return None
    with ctx.db.session() as session:
        delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        return None
    if delivery.connection_id:
        outcomes = [_finish(ctx, sent) for sent in _send_to_sink(ctx, delivery)]
        return outcomes[0] if outcomes else None
    return _finish(ctx, _send_to_endpoint(ctx, delivery))


def _send_to_endpoint(ctx: Context, delivery: Delivery) -> Sent:
    with ctx.db.session() as session:
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery.endpoint_id else None
    if endpoint is None:
        return Sent(delivery, None, "dead", "Its webhook endpoint was deleted.")
    if not endpoint.enabled:
        return Sent(delivery, None, "dead", f"Endpoint {endpoint.name} is disabled: {endpoint.disabled_reason}")
    started_at, started = utcnow(), time.perf_counter()
    try:
        secrets = endpoints.signing_secrets(ctx, endpoint, started_at)
    except ConfigurationError as exc:
        return Sent(delivery, None, "dead", f"Not sent: {exc}")
    result = webhook_sink.send(
        _http(), endpoint.url, delivery.event_id or delivery.id, delivery.body, secrets, ctx.settings.delivery_timeout_s
    )
    return Sent(delivery, result, duration_ms=(time.perf_counter() - started) * 1000, started_at=started_at)


def _send_to_sink(ctx: Context, delivery: Delivery) -> list[Sent]:
    """This delivery first, then as many other due ones of the same connection as the sink takes in one call."""
    with ctx.db.session() as session:
        connection = session.get(Connection, delivery.connection_id)
    if connection is None:
        return [Sent(delivery, None, "dead", "Its sink connection was deleted.")]
    plugin = sinks.plugin(connection.platform)
    batch = [delivery]
    limit = int(getattr(plugin, "BATCH_SIZE", 1))
    if limit > 1:
        batch += _claim_more(ctx, connection.id, delivery.id, limit - 1)
    started_at, started = utcnow(), time.perf_counter()
    try:
        results = sinks.send(ctx, plugin, connection, batch, _http())
    except ConfigurationError as exc:
        return [Sent(d, None, "dead", f"Not sent: {exc}") for d in batch]
    duration_ms = (time.perf_counter() - started) * 1000 / len(batch)
    return [Sent(d, r, duration_ms=duration_ms, started_at=started_at) for d, r in zip(batch, results, strict=True)]


def _claim_more(ctx: Context, connection_id: str, first_id: str, limit: int) -> list[Delivery]:
    with ctx.db.session() as session:
        ids = session.scalars(
            select(Delivery.id)
            .where(
                Delivery.connection_id == connection_id,
                Delivery.status == "pending",
                Delivery.next_attempt_at <= utcnow(),
                Delivery.id != first_id,
            )
            .order_by(Delivery.next_attempt_at)
            .limit(limit)
        ).all()
    claimed = [i for i in ids if claim(ctx, i)]
    with ctx.db.session() as session:
        return [d for d in (session.get(Delivery, i) for i in claimed) if d is not None]


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


def _finish(ctx: Context, sent: Sent) -> str:
    now = utcnow()
    delivery, result = sent.delivery, sent.result
    number = delivery.attempt_count + 1  # attempts since it was created or last replayed: the schedule's index
    status, error, delay = _decide(ctx, sent, number)
    with ctx.db.transaction() as session:
        row = session.get(Delivery, delivery.id)
        assert row is not None
        row.attempt_count = number
        row.status, row.lease_until, row.last_error = status, None, error
        if status == "delivered":
            row.delivered_at = now
            if result is not None and result.remote_id:
                row.remote_id = result.remote_id
        if delay is not None:
            row.next_attempt_at = now + timedelta(seconds=delay)
        earlier = session.scalar(select(func.count()).where(DeliveryAttempt.delivery_id == delivery.id)) or 0
        session.add(
            DeliveryAttempt(
                id=new_id("att"),
                delivery_id=delivery.id,
                number=earlier + 1,
                started_at=sent.started_at or now,
                duration_ms=sent.duration_ms,
                request_summary=result.request_summary if result else "not sent",
                status_code=result.status_code if result else None,
                response_excerpt=result.excerpt if result else None,
                outcome={"pending": "retry"}.get(status, status),
                error=error,
            )
        )
        if result is not None and row.endpoint_id:
            _track_endpoint_health(ctx, session.get(WebhookEndpoint, row.endpoint_id), result.outcome, now)
        if result is not None and row.connection_id:
            sinks.after_send(session, row, result)
    if delay is not None:
        ctx.dispatch.deliver(delivery.id, delay)
    log.info("delivery %s attempt %d: %s", delivery.id, number, status)
    return status


def _track_endpoint_health(ctx: Context, endpoint: WebhookEndpoint | None, outcome: str, now: datetime) -> None:
    """410 disables at once; failing without a success for ``endpoint_disable_after_s`` disables too."""
    if endpoint is None:
        return
    if outcome == "delivered":
        if endpoint.failing_since is not None:
            endpoint.failing_since = None
        return
    if outcome == "gone":
        endpoint.enabled = False
        endpoint.disabled_reason = "The endpoint answered 410 Gone. Check the URL with the vendor, then re-enable it."
        return
    if endpoint.failing_since is None:
        endpoint.failing_since = now
    elif (now - endpoint.failing_since).total_seconds() > ctx.settings.endpoint_disable_after_s:
        endpoint.enabled = False
        endpoint.disabled_reason = (
            f"Every attempt failed since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC. Fix the endpoint, "
            "re-enable it and replay its dead deliveries."
        )
