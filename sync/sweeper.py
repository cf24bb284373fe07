"""The sweeper: re-dispatches work the queue lost (a worker killed mid-task) — the database is the truth."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, or_, select

from core.context import Context
from core.models import Connection, Delivery, RawRecord, utcnow

log = logging.getLogger(__name__)
BATCH = 1000


@dataclass(frozen=True)
class Swept:
    raw_records: int
    deliveries: int


def sweep(ctx: Context) -> Swept:
    """Dispatch raw records and deliveries that are overdue by more than the grace period."""
    now = utcnow()
    stale = now - timedelta(seconds=ctx.settings.sweep_grace_s)
    with ctx.db.session() as session:
        raw_ids = session.scalars(
            select(RawRecord.id)
            .join(Connection, Connection.id == RawRecord.connection_id)
            .where(
                RawRecord.status == "pending",
                RawRecord.received_at < stale,
                # a notice the platform refused to complete waits out its back-off (see sync/notices.py)
                or_(RawRecord.retry_at.is_(None), RawRecord.retry_at < now),
                # a connection that waits for re-authorisation or out a rate limit is left alone until then
                Connection.status != "needs_reauth",
                or_(Connection.rate_limited_until.is_(None), Connection.rate_limited_until < now),
            )
            .order_by(RawRecord.received_at)
            .limit(BATCH)
        ).all()
        delivery_ids = session.scalars(
            select(Delivery.id)
            .outerjoin(Connection, Connection.id == Delivery.connection_id)
            .where(
                # deliveries to a sink whose credentials were revoked wait for the re-authorisation
                or_(Delivery.connection_id.is_(None), Connection.status != "needs_reauth"),
                or_(
                    and_(Delivery.status == "pending", Delivery.next_attempt_at < stale),
                    and_(Delivery.status == "in_flight", Delivery.lease_until < now),
                ),
            )
            .order_by(Delivery.next_attempt_at)
            .limit(BATCH)
        ).all()
    for raw_id in raw_ids:
        ctx.dispatch.process_raw(raw_id)
    for delivery_id in delivery_ids:
        ctx.dispatch.deliver(delivery_id)
    if raw_ids or delivery_ids:
        log.info("sweeper re-dispatched %d raw records and %d deliveries", len(raw_ids), len(delivery_ids))
    return Swept(len(raw_ids), len(delivery_ids))


class SweeperThread(threading.Thread):
    """Runs :func:`sweep` every ``sweep_interval_s`` inside a worker process."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(name="leadhub-sweeper", daemon=True)
        self._ctx = ctx
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self._ctx.settings.sweep_interval_s):
            try:
                sweep(self._ctx)
            except Exception:
                log.exception("sweep failed; trying again in %s s", self._ctx.settings.sweep_interval_s)

    def stop(self) -> None:
        self._stop_event.set()
