"""Typed errors shared by every layer; each says what is wrong and what to do."""

from __future__ import annotations


class LeadhubError(Exception):
    """Base class: ``str(error)`` is a sentence a person can act on."""


class ConfigurationError(LeadhubError):
    """The configuration is wrong; a person must change it."""


class NotFound(LeadhubError):
    """The named object does not exist."""


class InboundRejected(LeadhubError):
    """An inbound request is refused; ``status`` is the HTTP answer."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class SignatureInvalid(InboundRejected):
    status = 401


class PayloadMalformed(InboundRejected):
    status = 400


class PayloadTooLarge(InboundRejected):
    status = 413


class MappingError(LeadhubError):
    """A raw record cannot be mapped; ``field`` names the canonical field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TransientDeliveryError(LeadhubError):
    """Worth retrying: timeouts, 5xx, 429, 408."""


class PermanentDeliveryError(LeadhubError):
    """Retrying will not help: other 4xx."""


class SourceError(LeadhubError):
    """A source platform refused a request."""


class RateLimited(SourceError):
    """The platform throttles us; try again after ``retry_after_s`` seconds (its own estimate when it gives one)."""

    def __init__(self, message: str, retry_after_s: float = 60.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class AuthExpired(SourceError):
    """The token is expired or revoked: a person must re-authorise the connection."""
