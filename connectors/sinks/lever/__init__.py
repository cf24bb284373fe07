"""Lever sink: qualified leads and applications become opportunities, acting as the connection's ``perform_as``
user. Lever dedupes contacts by email but every ``POST /v1/opportunities`` makes a new opportunity, so each send
looks up the recorded opportunity and the email's opportunities first; an application converts the person's lead
opportunity in place. Status comes back through Lever's signed webhooks. ``docs/connectors/lever.md`` lists the
connection settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from connectors.sinks.base import Item, SendResult, StatusUpdate
from connectors.sinks.lever import opportunity, status
from connectors.sinks.lever.client import Api, Refused
from core.errors import AuthExpired, ConfigurationError

NAME = "lever"
DESCRIPTION = "Lever: qualified leads and applications as opportunities (lookup by email first), status webhooks"
DIRECTION = "sink"
SECRET_FIELDS = ("api_key",)
DEFAULT_ROUTE = {
    "events": ["lead.qualified", "application.created"],
    "require_consent": ["recruiting_contact"],
    "include_test": False,
}
# Lever allows about 10 requests/s per key (bursts of 20); one send takes 2 to 6 requests.
RATE_LIMIT = (3.0, 6.0)


def send(conn: Any, item: Item, http: requests.Session) -> SendResult:
    api = Api(conn, http)
    if not api.perform_as:
        return SendResult("permanent", None, None, "not sent", "Lever writes need a user to act as: set the "
                          "connection setting perform_as to a Lever user id (Settings → Users, or GET /v1/users).")
    if item.event_type == "application.created" and not (item.data.get("job") or {}).get("external_id"):
        return SendResult("permanent", None, None, "not sent", "The application names no job, so there is no Lever "
                          "posting to apply it to.")
    try:
        return opportunity.deliver(api, item)
    except Refused as refused:
        return refused.result


def check(conn: Any, http: requests.Session) -> None:
    """The key works and ``perform_as`` names an active user (raises ``AuthExpired`` / ``ConfigurationError``)."""
    api = Api(conn, http)
    if not api.perform_as:
        raise ConfigurationError("Set the connection setting perform_as to the Lever user leadhub acts as.")
    try:
        found = api.call("GET", f"/v1/users/{api.perform_as}", missing_ok=True)
    except Refused as refused:
        error = refused.result.error or ""
        raise (AuthExpired if refused.result.outcome == "auth" else ConfigurationError)(error) from refused
    if found is None:
        raise ConfigurationError(f"Lever has no user {api.perform_as}; set perform_as to an existing user id.")
    if (found.get("data") or {}).get("deactivatedAt"):
        raise ConfigurationError(f"The Lever user {api.perform_as} is deactivated; choose an active one.")


def verify_status(headers: Mapping[str, str], body: bytes, conn: Any) -> None:
    """Lever signs inside the body; raises ``SignatureInvalid`` / ``PayloadMalformed``."""
    status.verify(body, conn.secrets, conn.settings)


def status_updates(body: bytes, settings: Mapping[str, Any] | None = None) -> list[StatusUpdate]:
    """Stage changes, hires and archivals named by a verified webhook (``settings``: ``stage_map``,
    ``archive_reason_map``, ``archive_default``)."""
    return status.updates(body, settings)
