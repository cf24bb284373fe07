"""The outbox: an event and the deliveries it causes are added to the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.ids import new_id
from core.models import Delivery, Event, WebhookEndpoint, utcnow
from sync import routing
from webhooks import events


def emit(session: Session, event_type: str, subject_type: str, subject_id: str, data: dict[str, Any]) -> list[str]:
    """Record the event and one delivery per subscribed, enabled endpoint; returns the delivery ids.

    The body is serialised once here, so every retry sends the same bytes under the same ``webhook-id``.
    """
    if event_type not in events.EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type}")
    now = utcnow()
    event = Event(
        id=new_id("msg"),
        type=event_type,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=data,
        occurred_at=now,
    )
    session.add(event)
    body = events.envelope(event_type, now, data)
    endpoints = session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))).all()
    ids: list[str] = []
    for endpoint in endpoints:
        if not events.subscribed(event_type, list(endpoint.event_types)):
            continue
        delivery = Delivery(
            id=new_id("dlv"),
            sink="webhook",
            endpoint_id=endpoint.id,
            event_id=event.id,
            subject_type=subject_type,
            subject_id=subject_id,
            body=body,
            next_attempt_at=now,
        )
        session.add(delivery)
        ids.append(delivery.id)
    for route in routing.routes(session):
        if event_type not in route.events:
            continue
        reason = routing.refusal(route, data)
        if reason:
            routing.note_refusal(session, route, event_type, subject_id, data, reason)
            continue
        delivery = Delivery(
            id=new_id("dlv"),
            sink=route.connection.platform,
            connection_id=route.connection.id,
            event_id=event.id,
            subject_type=subject_type,
            subject_id=subject_id,
            body=body,
            next_attempt_at=now,
        )
        session.add(delivery)
        ids.append(delivery.id)
    return ids
