"""HMAC-SHA256 with the app secret, in one of two layouts; TikTok has not published its lead-webhook signature.

``raw``: the header carries the hex HMAC of the raw body (an optional ``sha256=`` prefix is accepted).
``timestamped``: ``t=<unix>,s=<hex>`` over ``"<t>." + body``, the layout of TikTok for Developers' webhooks.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from core.errors import SignatureInvalid


def _digest(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, scheme: str = "raw", timestamp: int | None = None) -> str:
    """The header value a sender puts on ``body``; used by the sandbox fake and the tests."""
    if scheme == "raw":
        return _digest(secret, body)
    ts = int(time.time()) if timestamp is None else timestamp
    return f"t={ts},s={_digest(secret, f'{ts}.'.encode() + body)}"


def _timestamped(value: str, body: bytes, tolerance_s: int, now: float | None) -> tuple[bytes, list[str]]:
    parts: dict[str, list[str]] = {}
    for item in value.split(","):
        key, sep, part = item.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(part)
    try:
        ts = int(parts["t"][0])
    except (KeyError, ValueError):
        raise SignatureInvalid("The signature has no numeric t=<unix seconds> part.") from None
    now = time.time() if now is None else now
    if abs(now - ts) > tolerance_s:
        raise SignatureInvalid(f"The signature is {int(now - ts)} s old (tolerance {tolerance_s} s).")
    return f"{ts}.".encode() + body, parts.get("s", [])


def verify(
    value: str | None,
    body: bytes,
    secrets: list[str],
    scheme: str,
    header: str,
    tolerance_s: int,
    now: float | None = None,
) -> None:
    """Accept when the header matches the body under any current app secret; raise otherwise."""
    if not value:
        raise SignatureInvalid(f"Missing {header} header; set signature_header to the header TikTok sends.")
    if scheme == "timestamped":
        signed, candidates = _timestamped(value, body, tolerance_s, now)
    else:
        signed, candidates = body, [value.strip().removeprefix("sha256=")]
    for secret in secrets:
        expected = _digest(secret, signed)
        if any(hmac.compare_digest(expected, candidate.lower()) for candidate in candidates):
            return
    raise SignatureInvalid(
        f"{header} does not match the body: check app_secret and signature_scheme ({scheme}) of the connection."
    )
