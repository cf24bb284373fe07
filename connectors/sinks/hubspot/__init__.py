"""HubSpot CRM sink: qualified leads become contacts, upserted in batches of 100 by email (or by a unique
property holding our person id), with leadhub's attribution properties and a lifecycle stage.

No idempotency keys at HubSpot: the upsert by a natural key and the recorded contact id keep a retried batch
from doubling a contact. ``docs/connectors/hubspot.md`` lists the connection settings.
"""

from __future__ import annotations

from typing import Any

import requests

from connectors.sinks.base import Item, SendResult
from connectors.sinks.hubspot import setup as _setup
from connectors.sinks.hubspot.batch import Send
from connectors.sinks.hubspot.client import Api, flag
from connectors.sinks.hubspot.progress import Progress, poll_progress
from core.errors import LeadhubError

NAME = "hubspot"
DESCRIPTION = "HubSpot CRM: qualified leads upserted as contacts with attribution properties"
DIRECTION = "sink"
SECRET_FIELDS = ("access_token",)
DEFAULT_ROUTE = {"events": ["lead.qualified"], "require_consent": ["recruiting_contact"], "include_test": False}
BATCH_SIZE = 100
# HubSpot allows 100 (Free/Starter) to 190 requests per rolling 10 s per portal, shared by every app on it:
# leadhub takes at most 5/s with bursts of 25, i.e. ≤ 75 per 10 s, and leaves room for the portal's other apps.
RATE_LIMIT = (5.0, 25.0)

__all__ = ["Progress", "check", "poll_progress", "send", "send_batch", "setup"]


def send(conn: Any, item: Item, http: requests.Session) -> SendResult:
    return send_batch(conn, [item], http)[0]


def send_batch(conn: Any, items: list[Item], http: requests.Session) -> list[SendResult]:
    """One result per item, in order; items naming the same contact are merged into one input first."""
    api = Api(conn, http)
    attempt = Send(api, items)
    results = attempt.run()
    if attempt.needs_setup and flag(conn.settings.get("auto_setup"), default=True):
        try:
            _setup.ensure(api)  # leadhub's properties were missing (setup never ran, or someone deleted them)
        except LeadhubError:
            return results
        results = Send(api, items).run()
    return results


def setup(conn: Any, http: requests.Session) -> list[str]:
    """Create leadhub's contact properties where missing; returns the names created now."""
    return _setup.ensure(Api(conn, http))


def check(conn: Any, http: requests.Session) -> None:
    """Test the token and its scopes, and set up the properties (raises ``AuthExpired`` / ``ConfigurationError``)."""
    _setup.ensure(Api(conn, http))
