"""Eventbrite's webhook delivery names one changed object by ``api_url``; nothing in it is signed.

So the guard is ours: the ``api_url`` must point at the platform (or at the sandbox the connection uses),
an optional shared token must come with the request, and the record is always re-fetched with our token
from our own configured base URL, never from the host the payload names.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.sources.base import Notice
from core.errors import PayloadMalformed, SignatureInvalid

REAL_ORIGIN = ("https", "www.eventbriteapi.com", 443)
TOKEN_PARAM = "token"  # noqa: S105 - the name of the query parameter, not a secret
TOKEN_HEADER = "X-Leadhub-Token"  # noqa: S105
_ORDER = re.compile(r"/v3/orders/(?P<order>\d+)/?$")
_ATTENDEE = re.compile(r"/v3/events/(?P<event>\d+)/attendees/(?P<attendee>\d+)/?$")
LEAD_ACTIONS = {
    "order.placed",
    "order.updated",
    "order.refunded",
    "attendee.updated",
    "attendee.checked_in",
    "attendee.checked_out",
    "barcode.checked_in",
    "barcode.un_checked_in",
}


class Config(BaseModel):
    model_config = ConfigDict(extra="allow")
    action: str = Field(min_length=1)


class Delivery(BaseModel):
    model_config = ConfigDict(extra="allow")
    api_url: str = Field(min_length=1, max_length=2000)
    config: Config


@dataclass(frozen=True)
class Resource:
    """What an ``api_url`` names: an order (``order_id``) or one attendee of one event."""

    kind: str  # order | attendee
    order_id: str | None = None
    event_id: str | None = None
    attendee_id: str | None = None


def parse(body: bytes) -> Delivery:
    try:
        document: Any = json.loads(body)
    except UnicodeDecodeError:
        raise PayloadMalformed("Body is not UTF-8 encoded JSON.") from None
    except json.JSONDecodeError as exc:
        raise PayloadMalformed(f"Malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.") from None
    try:
        return Delivery.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise PayloadMalformed(
            f"Not an Eventbrite webhook delivery ({{api_url, config.action}}): {problems}."
        ) from None


def resource(api_url: str) -> Resource | None:
    path = urlsplit(api_url).path
    if match := _ORDER.search(path):
        return Resource("order", order_id=match["order"])
    if match := _ATTENDEE.search(path):
        return Resource("attendee", event_id=match["event"], attendee_id=match["attendee"])
    return None


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the scheme's default port filled in; None for anything but plain http(s)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def allowed_origins(settings: Mapping[str, Any]) -> set[tuple[str, str, int]]:
    """Eventbrite's API, plus the connection's own ``base_url`` when it points elsewhere (the sandbox)."""
    allowed = {REAL_ORIGIN}
    configured = origin(str(settings.get("base_url") or ""))
    if configured:
        allowed.add(configured)
    return allowed


def check_origin(api_url: str, settings: Mapping[str, Any]) -> None:
    if origin(api_url) not in allowed_origins(settings):
        raise SignatureInvalid(
            "api_url does not point at Eventbrite's API (https://www.eventbriteapi.com) or at this connection's "
            "base_url; the delivery is not from Eventbrite and nothing was fetched."
        )


def check_token(secrets: Mapping[str, str], sent: str | None) -> None:
    """When the connection has a ``webhook_token``, the endpoint URL must carry it (``?token=``)."""
    expected = [value for name, value in secrets.items() if name.startswith("webhook_token") and value]
    if not expected:
        return
    if not sent:
        raise SignatureInvalid(
            f"Missing ?{TOKEN_PARAM}= on the webhook URL; this connection requires its webhook_token."
        )
    if not any(hmac.compare_digest(sent.encode(), token.encode()) for token in expected):
        raise SignatureInvalid(f"The {TOKEN_PARAM} on the webhook URL does not match this connection's webhook_token.")


def notices(body: bytes) -> list[Notice]:
    """One notice per delivery; objects that are not orders or attendees are acknowledged and ignored."""
    delivery = parse(body)
    named = resource(delivery.api_url)
    if named is None or delivery.config.action not in LEAD_ACTIONS:
        last = urlsplit(delivery.api_url).path.rstrip("/").rsplit("/", 1)[-1]
        return [Notice(external_id=f"{delivery.config.action}:{last}", action="ignored", ref=delivery.api_url)]
    external = named.order_id if named.kind == "order" else named.attendee_id
    assert external is not None
    return [Notice(external_id=external, action="created", ref=delivery.api_url)]
