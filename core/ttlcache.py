"""A small time-to-live cache: for settings-like rows read on every request or attempt that change rarely, where
a few seconds of staleness is the documented price (connections at intake, endpoints at delivery, rules)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """``get(key, load)`` returns the cached value while it is younger than ``ttl_s``, else ``load()``s it again."""

    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K, load: Callable[[], V]) -> V:
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and now - hit[0] < self._ttl_s:
            return hit[1]
        value = load()  # outside the lock: a slow load must not stall other keys
        with self._lock:
            self._entries[key] = (now, value)
        return value

    def forget(self, key: K | None = None) -> None:
        """Drop one entry (or all), e.g. right after this process changed the row."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)
