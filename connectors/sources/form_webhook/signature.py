"""``Leadhub-Signature: t=<unix>,v1=<hex>``: HMAC-SHA256 over ``"<t>." + raw body`` (Stripe's layout)."""

from __future__ import annotations

import hashlib
import hmac
import time

from core.errors import SignatureInvalid

HEADER = "Leadhub-Signature"


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The header value a sender puts on ``body``; used by our demo, tests and client examples."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


def verify(header: str | None, body: bytes, secrets: list[str], tolerance_s: int, now: float | None = None) -> None:
    """Accept when any ``v1`` matches any current secret within the time window; raise otherwise."""
    if not header:
        raise SignatureInvalid(
            f"Missing {HEADER} header; sign the raw body as described in docs/connectors/form_webhook.md."
        )
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(value)
    try:
        ts = int(parts["t"][0])
    except (KeyError, ValueError):
        raise SignatureInvalid(f"{HEADER} has no numeric t=<unix seconds> part.") from None
    candidates = parts.get("v1", [])
    if not candidates:
        raise SignatureInvalid(f"{HEADER} has no v1=<hex HMAC-SHA256> part.")
    now = time.time() if now is None else now
    if abs(now - ts) > tolerance_s:
        raise SignatureInvalid(
            f"{HEADER} timestamp is {int(now - ts)} s away from our clock (tolerance {tolerance_s} s); "
            "sign each request when you send it and keep the sender's clock in sync."
        )
    signed = f"{ts}.".encode() + body
    for secret in secrets:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            return
    raise SignatureInvalid(
        f"{HEADER} does not match the body: check the connection's secret and sign the raw bytes you send."
    )
