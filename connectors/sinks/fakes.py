"""Fault injection shared by the sink fakes: a clock tests can move, scripted failures, outages and late answers.

Each fake keeps its vendor's knowledge (which requests a fault hits, the error envelope, the outage status);
this base only keeps the script and the clock."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    """The next ``count`` requests fail with ``status`` (``body``: the vendor's envelope when not the default)."""

    status: int
    count: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


class FaultyFake:
    """Base of a sink fake: call ``super().__init__()`` first; the fake's gate asks :meth:`in_outage` and
    :meth:`take_fault`, its view :meth:`take_delay`."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.delays: list[tuple[float, str]] = []
        self._offset = 0.0
        self._outage_until = 0.0
        self._lock = threading.RLock()

    def now(self) -> float:
        """The fake's clock: real time plus whatever :meth:`advance` added."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock (rate-limit windows, outages) without waiting."""
        self._offset += seconds

    def fail_next(
        self, status: int, count: int = 1, headers: dict[str, str] | None = None, body: dict[str, Any] | None = None
    ) -> None:
        """Answer the next ``count`` requests the fake scripts faults for with ``status``, in the vendor's error
        envelope unless ``body`` is given."""
        with self._lock:
            self.faults.append(Fault(status, count, dict(headers or {}), body))

    def outage(self, seconds: float) -> None:
        """Every request fails (with the vendor's outage status) until ``seconds`` have passed on the fake's clock."""
        self._outage_until = self.now() + seconds

    def delay_next(self, seconds: float, count: int = 1, request_line: str = "") -> None:
        """The next ``count`` requests matching ``request_line`` (e.g. ``"POST /v1/opportunities"``; empty: any)
        are carried out, then answered only after ``seconds``."""
        with self._lock:
            self.delays += [(seconds, request_line)] * count

    def in_outage(self) -> bool:
        return self.now() < self._outage_until

    def take_fault(self) -> Fault | None:
        """The scripted fault for this request, if any (used up one request at a time, in order)."""
        for fault in self.faults:
            if fault.count > 0:
                fault.count -= 1
                self.faults = [f for f in self.faults if f.count > 0]
                return fault
        return None

    def take_delay(self, line: str) -> float:
        """Seconds to hold the answer to ``line`` (``"METHOD /path"``) back; 0 when no delay is scripted for it."""
        for n, (seconds, wanted) in enumerate(self.delays):
            if self.delay_matches(line, wanted):
                del self.delays[n]
                return seconds
        return 0.0

    def delay_matches(self, line: str, wanted: str) -> bool:
        """A scripted delay's ``request_line`` is a prefix of the request line (a fake may ask for more)."""
        return line.startswith(wanted)
