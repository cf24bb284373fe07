"""LinkedIn webhook security: the ``challengeCode`` answer and the ``X-LI-Signature`` of each push.

Both are lower-case hex HMAC-SHA256 keyed with the app's client secret. The challenge signs the code itself.
The push signs ``prefix + raw body``; LinkedIn's docs (as quoted by secondary sources) give the prefix
``hmacsha256=``, which is UNCONFIRMED upstream, so the prefix is a connection setting (``""`` = raw body).
"""

from __future__ import annotations

import hashlib
import hmac

from core.errors import SignatureInvalid

HEADER = "X-LI-Signature"
DEFAULT_PREFIX = "hmacsha256="


def challenge_response(challenge_code: str, client_secret: str) -> str:
    """``Hex(HMACSHA256(challengeCode, clientSecret))``, what LinkedIn expects back within 3 seconds."""
    return hmac.new(client_secret.encode(), challenge_code.encode(), hashlib.sha256).hexdigest()


def sign(body: bytes, client_secret: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The header value LinkedIn puts on ``body`` (the fake's emitter uses it; so do tests)."""
    return hmac.new(client_secret.encode(), prefix.encode() + body, hashlib.sha256).hexdigest()


def verify(header: str | None, body: bytes, client_secret: str, prefix: str = DEFAULT_PREFIX) -> None:
    """Raise :class:`SignatureInvalid` unless ``header`` is the HMAC of ``prefix + body`` (constant-time)."""
    if not header:
        raise SignatureInvalid(f"Missing {HEADER} header; LinkedIn signs every lead notification.")
    if not client_secret:
        raise SignatureInvalid("The connection has no client_secret to check X-LI-Signature with.")
    received = header.strip().lower()
    for label in ("hmacsha256=", "sha256="):  # tolerate a digest sent with its algorithm label
        received = received.removeprefix(label)
    if not hmac.compare_digest(sign(body, client_secret, prefix), received):
        raise SignatureInvalid(
            f"{HEADER} does not match the body signed with the connection's client_secret "
            f"(string-to-sign: {prefix!r} + raw body). Check client_secret, and the signature_prefix setting."
        )
