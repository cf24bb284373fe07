"""The delivery engine: claim an outbox row, send it, record the attempt, schedule the retry or dead-letter it."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

import requests
from sqlalchemy import and_, or_, update

from connectors.sinks import webhook as webhook_sink
from core.context import Context
from core.errors import ConfigurationError
from core.ids import new_id
from core.models import Delivery, DeliveryAttempt, WebhookEndpoint, utcnow
from sync import retry
from webhooks import endpoints

log = logging.getLogger(__name__)
_local = threading.local()


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


def attempt(ctx: Context, delivery_id: str) -> str | None:
    """One attempt of one delivery; returns the new status, or ``None`` if another worker holds it."""
    if not claim(ctx, delivery_id):
        return None
    with ctx.db.session() as session:
        delivery = session.get(Delivery, delivery_id)
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
    if delivery is None:
        return None
    if endpoint is None:
        return _finish(ctx, delivery, None, "dead", "Its webhook endpoint was deleted.")
    if not endpoint.enabled:
        return _finish(ctx, delivery, None, "dead", f"Endpoint {endpoint.name} is disabled: {endpoint.disabled_reason}")
    started_at, started = utcnow(), time.perf_counter()
    try:
        secrets = endpoints.signing_secrets(ctx, endpoint, started_at)
    except ConfigurationError as exc:
        return _finish(ctx, delivery, None, "dead", f"Not sent: {exc}")
    result = webhook_sink.send(
        _http(), endpoint.url, delivery.event_id or delivery.id, delivery.body, secrets, ctx.settings.delivery_timeout_s
    )
    duration_ms = (time.perf_counter() - started) * 1000
    return _finish(ctx, delivery, result, None, None, duration_ms, started_at)


def _finish(
    ctx: Context,
    delivery: Delivery,
    result: webhook_sink.SendResult | None,
    forced: str | None,
    forced_error: str | None,
    duration_ms: float = 0.0,
    started_at: datetime | None = None,
) -> str:
    now = utcnow()
    number = delivery.attempt_count + 1
    delay: float | None = None
    if forced:
        status, error = forced, forced_error
    else:
        assert result is not None
        error = result.error
        if result.outcome == "delivered":
            status = "delivered"
        elif result.outcome == "transient":
            delay = retry.next_delay(
                number,
                ctx.settings.retry_schedule,
                ctx.settings.retry_jitter,
                retry.parse_retry_after(result.retry_after),
            )
            status = "pending" if delay is not None else "dead"
            if delay is None:
                error = f"{error} Gave up after {number} attempts; replay it once the endpoint works."
        else:
            status = "dead"
    with ctx.db.transaction() as session:
        row = session.get(Delivery, delivery.id)
        assert row is not None
        row.attempt_count = number
        row.status = status
        row.lease_until = None
        row.last_error = error
        if status == "delivered":
            row.delivered_at = now
        if delay is not None:
            row.next_attempt_at = now + timedelta(seconds=delay)
        session.add(
            DeliveryAttempt(
                id=new_id("att"),
                delivery_id=delivery.id,
                number=number,
                started_at=started_at or now,
                duration_ms=duration_ms,
                request_summary=result.request_summary if result else "not sent",
                status_code=result.status_code if result else None,
                response_excerpt=result.excerpt if result else None,
                outcome={"pending": "retry"}.get(status, status),
                error=error,
            )
        )
        if result is not None and row.endpoint_id:
            _track_endpoint_health(ctx, session.get(WebhookEndpoint, row.endpoint_id), result.outcome, now)
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
