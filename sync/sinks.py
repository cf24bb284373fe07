"""Sink deliveries: build what a sink module needs, respect its rate limit, record the remote ids it reports."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors import registry
from connectors.sinks.base import File, Item, SendResult
from core.context import Context
from core.ids import new_id
from core.models import Application, Attachment, Connection, Delivery, RemoteRecord, utcnow
from sync import connections
from sync.ratelimit import RateLimiter

_LIMITERS: dict[str, RateLimiter] = {}


def plugin(platform: str) -> Any:
    return registry.get(platform, "sink").load()


def limiter(ctx: Context) -> RateLimiter:
    key = ctx.settings.redis_url or ""
    if key not in _LIMITERS:
        _LIMITERS[key] = RateLimiter(ctx.settings.redis_url)
    return _LIMITERS[key]


def _items(session: Session, connection_id: str, batch: list[Delivery]) -> list[Item]:
    items = []
    for delivery in batch:
        envelope = json.loads(delivery.body)
        data = envelope.get("data", {})
        person_id = data.get("person_id") or (delivery.subject_id if delivery.subject_type == "person" else None)
        subjects = [(delivery.subject_type, delivery.subject_id)] + ([("person", person_id)] if person_id else [])
        remote = {
            row.subject_type: row.remote_id
            for row in session.scalars(
                select(RemoteRecord).where(
                    RemoteRecord.connection_id == connection_id,
                    RemoteRecord.subject_id.in_([subject_id for _, subject_id in subjects]),
                )
            )
        }
        files = []
        if delivery.subject_type == "application":
            files = [
                File(a.filename, a.content_type, a.content)
                for a in session.scalars(
                    select(Attachment).where(Attachment.application_id == delivery.subject_id).order_by(Attachment.id)
                )
            ]
        items.append(
            Item(
                delivery.id,
                envelope.get("type", ""),
                delivery.subject_type,
                delivery.subject_id,
                data,
                person_id,
                remote,
                files,
            )
        )
    return items


def take_token(ctx: Context, module: Any, connection: Connection) -> float:
    """Wait for one call's worth of the account's rate limit; returns the seconds waited."""
    rate, burst = getattr(module, "RATE_LIMIT", (10.0, 10.0))
    return limiter(ctx).acquire(f"{connection.platform}:{connection.id}", rate, burst)


def send(
    ctx: Context,
    module: Any,
    connection: Connection,
    batch: list[Delivery],
    http: requests.Session,
    prepaid: int = 0,
) -> list[SendResult]:
    """One call for the batch when the sink batches, else one call per delivery, each within the rate limit
    (``prepaid``: tokens the caller already took for the first calls)."""
    with ctx.db.session() as session:
        items = _items(session, connection.id, batch)
    view = connections.view(ctx, connection)
    metered = cast(requests.Session, MeteredHTTP(http, lambda: take_token(ctx, module, connection), prepaid))
    if len(items) > 1 and hasattr(module, "send_batch"):
        results: list[SendResult] = module.send_batch(view, items, metered)
        return results
    return [module.send(view, item, metered) for item in items]


class MeteredHTTP:
    """A sink's HTTP session that takes a rate-limit token before every call: vendors count calls (a HubSpot
    batch may be an upsert plus an update), not our batches."""

    def __init__(self, http: requests.Session, take: Callable[[], Any], prepaid: int = 0) -> None:
        self._http = http
        self._take = take
        self._prepaid = prepaid

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        if self._prepaid:
            self._prepaid -= 1
        else:
            self._take()
        return self._http.request(method, url, *args, **kwargs)

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", url, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._http, name)


def after_send(session: Session, delivery: Delivery, result: SendResult) -> None:
    """Inside the attempt's transaction: remember the remote id; flag revoked credentials."""
    if result.remote_id:
        data = json.loads(delivery.body).get("data", {})
        subject_id = data.get("person_id") if result.remote_subject == "person" else delivery.subject_id
        if subject_id:
            row = session.scalar(
                select(RemoteRecord).where(
                    RemoteRecord.connection_id == delivery.connection_id,
                    RemoteRecord.subject_type == result.remote_subject,
                    RemoteRecord.subject_id == subject_id,
                )
            )
            if row is None:
                session.add(
                    RemoteRecord(
                        id=new_id("rem"),
                        connection_id=delivery.connection_id,
                        subject_type=result.remote_subject,
                        subject_id=subject_id,
                        remote_id=result.remote_id,
                        remote_kind=result.remote_kind,
                    )
                )
            elif row.remote_id != result.remote_id:
                row.remote_id, row.remote_kind, row.updated_at = result.remote_id, result.remote_kind, utcnow()
        if result.remote_subject == "application" and delivery.subject_type == "application":
            application = session.get(Application, delivery.subject_id)
            if application is not None and application.remote_id != result.remote_id:  # the lineage's ATS id
                application.remote_id, application.ats_connection_id = result.remote_id, delivery.connection_id
    if result.outcome == "auth":
        connection = session.get(Connection, delivery.connection_id)
        if connection is not None:
            connection.status = "needs_reauth"
            connection.status_message = f"Re-authorise this connection: {result.error}"
