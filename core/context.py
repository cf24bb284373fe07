"""The running hub's shared objects, built once per process and passed to whatever needs them."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.crypto import SecretBox
from core.db import Database
from core.queue import Dispatcher
from core.settings import Settings


class NullDispatcher:
    """Dispatches nothing: the sweeper will find the work (used by one-shot CLI commands)."""

    def process_raw(self, raw_id: str) -> None:
        return None

    def process_raw_many(self, raw_ids: list[str]) -> None:
        return None

    def deliver(self, delivery_id: str, delay_s: float = 0.0) -> None:
        return None


@dataclass
class Context:
    settings: Settings
    db: Database
    box: SecretBox
    dispatch: Dispatcher = field(default_factory=NullDispatcher)

    @classmethod
    def build(cls, settings: Settings, dispatch: Dispatcher | None = None) -> Context:
        return cls(settings, Database(settings), SecretBox(settings.secret_key), dispatch or NullDispatcher())
