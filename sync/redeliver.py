"""Replay deliveries: one by id, or every one matching a filter (dead letters of a sink since a time)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from core.context import Context
from core.models import Delivery, utcnow


def replay(
    ctx: Context,
    ids: list[str] | None = None,
    sink: str | None = None,
    status: str = "dead",
    since: datetime | None = None,
) -> list[str]:
    """Make matching deliveries due now with a fresh retry schedule; their attempt history is kept."""
    conditions = [Delivery.status == status]
    if ids:
        conditions.append(Delivery.id.in_(ids))
    if sink:
        conditions.append(Delivery.sink == sink)
    if since:
        conditions.append(Delivery.created_at >= since)
    with ctx.db.transaction() as session:
        replayed = list(
            session.scalars(
                update(Delivery)
                .where(*conditions)
                .values(status="pending", attempt_count=0, next_attempt_at=utcnow(), lease_until=None)
                .returning(Delivery.id)
            )
        )
    for delivery_id in replayed:
        ctx.dispatch.deliver(delivery_id)
    return replayed
