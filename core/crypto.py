"""Secrets at rest: Fernet with a key derived from ``LEADHUB_SECRET_KEY`` (HKDF-SHA256)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import ConfigurationError


def _derive(secret_key: str, purpose: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"leadhub", info=purpose)
    return hkdf.derive(secret_key.encode())


class SecretBox:
    """Encrypts connection and endpoint secrets; decrypting with another key fails loudly."""

    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret_key, b"secrets-at-rest")))
        self._hash_key = _derive(secret_key, b"lookup-hash")

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ConfigurationError(
                "A stored secret cannot be decrypted: LEADHUB_SECRET_KEY differs from the key it was "
                "stored with. Restore the old key, or re-enter the secret."
            ) from exc

    def keyed_hash(self, value: str) -> str:
        """A secret hash for lookups (API keys, tombstones) that leaks nothing without the key."""
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()
