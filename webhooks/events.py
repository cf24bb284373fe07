"""The event catalogue: every event type vendors can subscribe to, and the envelope they receive.

Each type's ``data`` is a model in :mod:`webhooks.event_models`; :mod:`webhooks.event_schemas` publishes them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

EVENT_TYPES: dict[str, str] = {
    "lead.captured": "A new lead was stored (one per platform lead, however often the platform sent it).",
    "lead.qualified": "A lead passed the qualification rules.",
    "lead.deleted": "A platform deleted a lead; it was removed or anonymised here.",
    "person.merged": "Two persons were found to be one human and merged.",
    "application.created": "A lead converted into an application in an ATS.",
    "application.status_changed": "An application moved to another stage in the ATS.",
    "person.erased": "A person was erased on request; drop what you hold about them.",
    "endpoint.test": "Sent to one endpoint when an admin presses “Send test event”; carries no personal data.",
}


def check_types(types: list[str]) -> list[str]:
    """Validate a subscription list; ``*`` subscribes to everything."""
    unknown = [t for t in types if t != "*" and t not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}")
    return types


def subscribed(event_type: str, subscription: list[str]) -> bool:
    """Whether an endpoint subscribed to ``subscription`` receives ``event_type``."""
    return "*" in subscription or event_type in subscription


def envelope(event_type: str, occurred_at: datetime, data: dict[str, Any]) -> bytes:
    """The body per Standard Webhooks: ``{"type", "timestamp", "data"}``; fixed once, resent byte for byte."""
    document = {"type": event_type, "timestamp": occurred_at.isoformat().replace("+00:00", "Z"), "data": data}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode()
