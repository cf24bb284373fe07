"""``leadhub worker``: the Huey consumer plus the sweeper, in one process."""

from __future__ import annotations

import logging

from core.settings import Settings
from sync import tasks
from sync.sweeper import SweeperThread, sweep

log = logging.getLogger(__name__)


def run(settings: Settings, threads: int | None = None) -> None:
    ctx, dispatcher = tasks.build(settings)
    sweep(ctx)  # pick up whatever the previous worker left behind before taking new work
    sweeper = SweeperThread(ctx)
    sweeper.start()
    consumer = dispatcher.huey.create_consumer(
        workers=threads or settings.worker_threads,
        worker_type="thread",
        periodic=False,
        initial_delay=0.02,
        backoff=1.5,
        max_delay=0.5,
        scheduler_interval=1,
    )
    log.info("worker started with %d threads", threads or settings.worker_threads)
    try:
        consumer.run()
    finally:
        sweeper.stop()
        ctx.db.dispose()
