"""Queue wiring: Huey on a SQLite file (embedded) or on Redis when ``LEADHUB_REDIS_URL`` is set."""

from __future__ import annotations

from typing import Protocol

from huey import Huey, RedisHuey, SqliteHuey

from core.settings import Settings


def make_huey(settings: Settings) -> Huey:
    """The queue only dispatches; the database stays the truth, so results are not stored."""
    if settings.redis_url:
        return RedisHuey(settings.queue_name, url=settings.redis_url, results=False, utc=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        settings.queue_name,
        filename=str(settings.data_dir / "queue.db"),
        results=False,
        utc=True,
        # The queue only dispatches: a message lost to a power cut is found again by the sweeper, because
        # the database holds the truth. So no fsync per enqueue (WAL still survives kill -9).
        fsync=False,
        timeout=30,
    )


class Dispatcher(Protocol):
    """What domain code needs from the queue: hand an id to a worker, best effort."""

    def process_raw(self, raw_id: str) -> None: ...

    def process_raw_many(self, raw_ids: list[str]) -> None: ...

    def deliver(self, delivery_id: str, delay_s: float = 0.0) -> None: ...
