"""The sweeper re-dispatches what the queue lost; the database outbox stays the truth."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from connectors.sources.form_webhook import samples
from core.context import Context
from core.models import Delivery, RawRecord, utcnow
from sync import connections, pipeline
from sync.sweeper import sweep
from tests.helpers import SIGNING_SECRET, encode
from webhooks import endpoints, inbox


def age(ctx: Context, model: Any, column: Any, id_: str, seconds: float) -> None:
    with ctx.db.transaction() as session:
        session.execute(update(model).where(model.id == id_).values({column: utcnow() - timedelta(seconds=seconds)}))


def test_a_raw_record_whose_task_was_lost_is_dispatched_again(ctx: Context, dispatcher: Any) -> None:
    conn = connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
    raw_id = inbox.store(ctx, conn.id, "form_webhook", encode(samples.submission(1)), "demo-1")
    dispatcher.raw.clear()
    assert sweep(ctx).raw_records == 0  # too fresh: its own task is probably still queued
    age(ctx, RawRecord, "received_at", raw_id, 5)
    assert sweep(ctx).raw_records == 1
    assert dispatcher.raw == [raw_id]
    pipeline.process(ctx, raw_id)
    assert sweep(ctx).raw_records == 0  # processed records are left alone


def test_deliveries_overdue_or_held_by_a_dead_worker_are_dispatched_again(ctx: Context, dispatcher: Any) -> None:
    conn = connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
    endpoints.create(ctx, "vendor", "http://127.0.0.1:9/hook", ["*"])
    raw_ids = [inbox.store(ctx, conn.id, "form_webhook", encode(samples.submission(n)), f"d-{n}") for n in (1, 2)]
    overdue, leased = (pipeline.process(ctx, raw_id).deliveries[0] for raw_id in raw_ids)
    dispatcher.deliveries.clear()
    age(ctx, Delivery, "next_attempt_at", overdue, 5)
    with ctx.db.transaction() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.id == leased)
            .values(status="in_flight", lease_until=utcnow() - timedelta(seconds=1))
        )
    assert sweep(ctx).deliveries == 2
    assert sorted(d for d, _ in dispatcher.deliveries) == sorted([overdue, leased])
