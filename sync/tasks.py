"""Worker tasks on Huey: process a raw record, attempt a delivery. Tasks carry ids only."""

from __future__ import annotations

import logging

from huey import Huey

from core.context import Context
from core.errors import SourceError
from core.queue import make_huey
from core.settings import Settings
from sync import activation, connections, delivery, pipeline, pull

log = logging.getLogger(__name__)


class HueyDispatcher:
    """Implements :class:`core.queue.Dispatcher` on a Huey instance; ``bind`` gives tasks their context."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self._ctx: Context | None = None

        @huey.task(name="process_raw_record")
        def process_raw_record(raw_id: str) -> None:
            try:
                pipeline.process(self.ctx, raw_id)
            except SourceError as exc:  # recorded on the connection; the sweeper resumes it when it may
                log.warning("raw record %s waits: %s", raw_id, exc)

        @huey.task(name="process_raw_records")
        def process_raw_records(raw_ids: list[str]) -> None:
            for raw_id in raw_ids:  # one failure must not hold back the rest; the sweeper retries it
                try:
                    pipeline.process(self.ctx, raw_id)
                except SourceError as exc:
                    log.warning("raw record %s waits: %s", raw_id, exc)
                except Exception:
                    log.exception("raw record %s failed; the sweeper will retry it", raw_id)

        @huey.task(name="attempt_delivery")
        def attempt_delivery(delivery_id: str) -> None:
            delivery.attempt(self.ctx, delivery_id)

        @huey.task(name="pull_connection")
        def pull_connection(name: str) -> None:
            try:
                if connections.find(self.ctx, name).direction == "sink":  # a sink's "sync" reads progress back
                    log.info("sync of %s: %s", name, activation.poll_sink(self.ctx, name))
                else:
                    pull.run(self.ctx, name)
            except SourceError as exc:
                log.warning("sync of %s stopped: %s", name, exc)

        @huey.task(name="check_connection")
        def check_connection(name: str) -> None:
            pull.check(self.ctx, name)

        self._pull_connection = pull_connection
        self._check_connection = check_connection
        self._process_raw_record = process_raw_record
        self._process_raw_records = process_raw_records
        self._attempt_delivery = attempt_delivery

    @property
    def ctx(self) -> Context:
        if self._ctx is None:
            raise RuntimeError("HueyDispatcher used before bind(ctx)")
        return self._ctx

    def bind(self, ctx: Context) -> None:
        self._ctx = ctx

    def process_raw(self, raw_id: str) -> None:
        self._process_raw_record(raw_id)

    def process_raw_many(self, raw_ids: list[str]) -> None:
        self._process_raw_records(raw_ids)

    def deliver(self, delivery_id: str, delay_s: float = 0.0) -> None:
        if delay_s > 0:
            self._attempt_delivery.schedule((delivery_id,), delay=delay_s)
        else:
            self._attempt_delivery(delivery_id)

    def pull(self, connection_name: str) -> None:
        self._pull_connection(connection_name)

    def check(self, connection_name: str) -> None:
        self._check_connection(connection_name)

    def queue_depth(self) -> int:
        return int(self.huey.pending_count()) + int(self.huey.scheduled_count())


def build(settings: Settings) -> tuple[Context, HueyDispatcher]:
    """The context of a web or worker process, wired to the queue."""
    dispatcher = HueyDispatcher(make_huey(settings))
    ctx = Context.build(settings, dispatcher)
    dispatcher.bind(ctx)
    return ctx, dispatcher
