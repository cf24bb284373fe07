"""Time-sortable, prefixed ids (ULID layout): readable in logs, unique across processes."""

from __future__ import annotations

import random
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _encode(value: int, length: int) -> str:
    return "".join(_ALPHABET[(value >> shift) & 31] for shift in range(5 * (length - 1), -1, -5))


def ulid() -> str:
    """26 characters: 48 bits of milliseconds, then 80 random bits.

    The bits come from ``random`` (reseeded from the OS at import and after every fork), not a syscall per
    id: ids must be unique, not secret — secrets come from :mod:`secrets`."""
    millis = int(time.time() * 1000)
    return _encode((millis << 80) | random.getrandbits(80), 26)


def new_id(prefix: str) -> str:
    """An id like ``lead_01JD...``; the prefix says what it names (never contains a dot)."""
    return f"{prefix}_{ulid()}"
