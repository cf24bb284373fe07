"""``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the app secret>``."""

from __future__ import annotations

import hashlib
import hmac

from core.errors import SignatureInvalid

HEADER = "X-Hub-Signature-256"


def sign(body: bytes, app_secret: str) -> str:
    """The header value Meta puts on ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify(header: str | None, body: bytes, app_secrets: list[str]) -> None:
    """Accept when the header matches the body under any current app secret (constant-time); raise otherwise."""
    if not header:
        raise SignatureInvalid(f"Missing {HEADER} header; Meta signs every webhook delivery with the app secret.")
    scheme, _, digest = header.strip().partition("=")
    if scheme.lower() != "sha256" or not digest:
        raise SignatureInvalid(f"{HEADER} must look like sha256=<hex HMAC-SHA256>.")
    for secret in app_secrets:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, digest.lower()):
            return
    raise SignatureInvalid(
        f"{HEADER} does not match the body: check the connection's app_secret (App Dashboard → Settings → Basic)."
    )
