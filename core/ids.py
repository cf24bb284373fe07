"""Time-sortable, prefixed ids (ULID layout): readable in logs, unique across processes."""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def ulid() -> str:
    """26 characters: 48 bits of milliseconds, then 80 random bits."""
    millis = int(time.time() * 1000)
    rand = int.from_bytes(os.urandom(10), "big")
    return _encode(millis, 10) + _encode(rand, 16)


def new_id(prefix: str) -> str:
    """An id like ``lead_01JD...``; the prefix says what it names (never contains a dot)."""
    return f"{prefix}_{ulid()}"
