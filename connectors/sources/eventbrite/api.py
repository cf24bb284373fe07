"""GET one order or attendee from Eventbrite's API for a webhook notice; errors classified like the manifest's."""

from __future__ import annotations

import logging
from typing import Any

import requests

from connectors.sources.base import ConnectionLike, Notice, base_url
from connectors.sources.eventbrite import records, webhook
from core.errors import AuthExpired, RateLimited, SourceError

log = logging.getLogger(__name__)
DEFAULT_BASE_URL = "https://www.eventbriteapi.com/v3"
TIMEOUT_S = 30.0


def fetch(conn: ConnectionLike, notice: Notice, http: requests.Session) -> list[dict[str, Any]]:
    """The attendees an ``api_url`` names, as lead records; the host dialled is always our configured one."""
    named = webhook.resource(notice.ref or "")
    if named is None:
        return []
    if webhook.origin(notice.ref or "") not in webhook.allowed_origins(conn.settings):
        log.warning("eventbrite notice %s names a foreign host; not fetched", notice.external_id)
        return []
    base = base_url(conn, DEFAULT_BASE_URL)
    if named.kind == "order":
        order = _get(conn, http, f"{base}/orders/{named.order_id}/", "attendees,event")
        if order is None:
            return []
        name = records.event_name(order)
        return [records.to_record(attendee, name) for attendee in order.get("attendees") or []]
    attendee = _get(conn, http, f"{base}/events/{named.event_id}/attendees/{named.attendee_id}/", "event")
    return [] if attendee is None else [records.to_record(attendee, records.event_name(attendee))]


def _get(conn: ConnectionLike, http: requests.Session, url: str, expand: str) -> dict[str, Any] | None:
    headers = {"Authorization": f"Bearer {conn.secrets.get('private_token', '')}"}
    response = http.get(url, params={"expand": expand}, headers=headers, timeout=TIMEOUT_S)
    if response.status_code == 200:
        document: dict[str, Any] = response.json()
        return document
    error, description = _envelope(response)
    if response.status_code in (401, 403):
        raise AuthExpired(f"Eventbrite refused the private token ({error}): {description}")
    if response.status_code == 429:
        raise RateLimited(f"Eventbrite rate limit ({error}): {description}", _retry_after(conn, response))
    if response.status_code == 404:  # deleted meanwhile: nothing to store
        log.info("eventbrite object gone (%s): %s", error, url.rsplit("/v3", 1)[-1])
        return None
    raise SourceError(f"Eventbrite answered {response.status_code} ({error}): {description}")


def _envelope(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "HTTP_" + str(response.status_code), response.text[:200]
    return str(body.get("error", "")), str(body.get("error_description", ""))


def _retry_after(conn: ConnectionLike, response: requests.Response) -> float:
    """Eventbrite's own wait when it sends one, else the connection's ``rate_limit_wait_s`` (default 60 s)."""
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return float(conn.settings.get("rate_limit_wait_s", 60))
