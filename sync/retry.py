"""When to try a failed delivery again: a schedule (Svix's by default) with ±jitter, Retry-After honoured."""

from __future__ import annotations

import random

MAX_RETRY_AFTER_S = 24 * 3600.0


def next_delay(
    attempts_made: int,
    schedule: list[float],
    jitter: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds until the next attempt, or ``None`` when the schedule is exhausted.

    ``schedule[0]`` is the first attempt (immediately); after ``n`` attempts the next waits ``schedule[n]``.
    A vendor's ``Retry-After`` is never undercut.
    """
    if attempts_made >= len(schedule):
        return None
    base = schedule[attempts_made]
    spread = (rng or random).uniform(-jitter, jitter)
    delay = max(0.0, base * (1 + spread))
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER_S))
    return delay


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds; HTTP dates are read too)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
