"""Prometheus metrics read from the database and the queue, so every web process reports the same truth."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from core.context import Context
from core.models import Delivery, Lead, RawRecord


class HubCollector(Collector):
    """Intake, processing, deliveries, failures and queue depth, one scrape = a handful of COUNT queries."""

    def __init__(self, ctx: Context, queue_depth: Callable[[], int]) -> None:
        self._ctx = ctx
        self._queue_depth = queue_depth

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._ctx.db.session() as session:
            raw = session.execute(
                select(RawRecord.source, RawRecord.status, func.count()).group_by(RawRecord.source, RawRecord.status)
            ).all()
            leads = session.execute(
                select(Lead.source, Lead.stage, func.count()).group_by(Lead.source, Lead.stage)
            ).all()
            deliveries = session.execute(
                select(Delivery.sink, Delivery.status, func.count()).group_by(Delivery.sink, Delivery.status)
            ).all()
        intake = GaugeMetricFamily(
            "leadhub_intake_records",
            "Raw records received, by source and processing status",
            labels=["source", "status"],
        )
        for source, status, count in raw:
            intake.add_metric([source, status], count)
        yield intake
        lead_family = GaugeMetricFamily(
            "leadhub_leads", "Leads stored, by source and stage", labels=["source", "stage"]
        )
        for source, stage, count in leads:
            lead_family.add_metric([source, stage], count)
        yield lead_family
        delivery_family = GaugeMetricFamily(
            "leadhub_deliveries", "Deliveries by sink and status", labels=["sink", "status"]
        )
        for sink, status, count in deliveries:
            delivery_family.add_metric([sink, status], count)
        yield delivery_family
        failures = GaugeMetricFamily(
            "leadhub_failures", "Records that failed processing and dead-lettered deliveries", labels=["kind"]
        )
        failures.add_metric(["raw_record"], sum(c for _, s, c in raw if s == "failed"))
        failures.add_metric(["delivery"], sum(c for _, s, c in deliveries if s == "dead"))
        yield failures
        depth = GaugeMetricFamily("leadhub_queue_depth", "Tasks waiting in the queue (pending and scheduled)")
        depth.add_metric([], self._queue_depth())
        yield depth
