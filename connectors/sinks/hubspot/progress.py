"""Progress read back from HubSpot: contacts a recruiter moved on (lead status or lifecycle stage) since the last
poll, found with the contacts search API, so leadhub can mark their leads ``activated``.

HubSpot cannot push contact changes to a private app without a public app's webhook subscription, so leadhub asks:
``POST /crm/v3/objects/contacts/search`` with ``lastmodifieddate GTE <since>`` and the progress values, sorted by
``lastmodifieddate``, paged by ``paging.next.after``. Search is eventually consistent, so each poll looks back an
overlap before ``since``; reading a contact twice is harmless (an activated lead stays activated).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests

from connectors.sinks.hubspot import errors
from connectors.sinks.hubspot.client import Api
from core.errors import AuthExpired, RateLimited, SourceError

DEFAULT_LEAD_STATUSES = ("IN_PROGRESS", "OPEN_DEAL", "CONNECTED")
DEFAULT_LIFECYCLE_STAGES = ("marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")
DEFAULT_OVERLAP_S = 300.0  # search indexes a write a few seconds (rarely minutes) late
MAX_RESULTS = 10_000  # HubSpot answers 400 beyond 10,000 results of one query: start a new query from the last seen
PROPERTIES = ["hs_lead_status", "lifecyclestage", "lastmodifieddate"]


@dataclass(frozen=True)
class Progress:
    """One contact that shows progress, and why in words (the stage change's reason)."""

    contact_id: str
    reason: str
    modified_at: str


def settings_list(value: Any, default: tuple[str, ...]) -> list[str]:
    """A list setting from YAML (a list) or from ``--setting key=A,B`` (a string); unset means the default."""
    if value is None:
        return list(default)
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def poll_progress(conn: Any, http: requests.Session, since: datetime | None) -> list[Progress]:
    """Contacts modified since ``since`` (all when ``None``) whose lead status or lifecycle stage shows progress.

    Raises ``AuthExpired`` (token refused), ``RateLimited`` (429) or ``SourceError`` (anything else HubSpot refused).
    """
    api = Api(conn, http)
    statuses = settings_list(conn.settings.get("progress_lead_statuses"), DEFAULT_LEAD_STATUSES)
    stages = settings_list(conn.settings.get("progress_lifecycle_stages"), DEFAULT_LIFECYCLE_STAGES)
    # the stage leadhub itself writes on delivery is not the recruiter's progress
    stages = [s for s in stages if s != str(conn.settings.get("lifecycle_stage", "lead") or "")]
    overlap_setting = conn.settings.get("progress_overlap_s")
    overlap = DEFAULT_OVERLAP_S if overlap_setting in (None, "") else float(overlap_setting)
    start = 0 if since is None else int((since - timedelta(seconds=overlap)).timestamp() * 1000)
    found: dict[str, Progress] = {}
    for contact in _modified(api, start, statuses, stages):
        progress = _progress(contact, statuses, stages)
        if progress is not None:
            found[progress.contact_id] = progress
    return list(found.values())


def _progress(contact: dict[str, Any], statuses: list[str], stages: list[str]) -> Progress | None:
    props = contact.get("properties") or {}
    status, stage = props.get("hs_lead_status"), props.get("lifecyclestage")
    modified = str(props.get("lastmodifieddate") or "")
    if status in statuses:
        return Progress(str(contact["id"]), f"HubSpot lead status {status}", modified)
    if stage in stages:
        return Progress(str(contact["id"]), f"HubSpot lifecycle stage {stage}", modified)
    return None


def _modified(api: Api, start_ms: int, statuses: list[str], stages: list[str]) -> Iterator[dict[str, Any]]:
    """Every matching contact modified at or after ``start_ms``, oldest change first, across pages and queries."""
    if not statuses and not stages:
        return
    limit = int(api.settings.get("progress_page_size") or 100)
    after = 0
    while True:
        body = {"filterGroups": _groups(start_ms, statuses, stages), "properties": PROPERTIES, "limit": limit,
                "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}], "after": str(after)}
        page = _search(api, body)
        results = page.get("results") or []
        yield from results
        following = ((page.get("paging") or {}).get("next") or {}).get("after")
        if not following or not results:
            return
        after = int(following)
        if after + limit > MAX_RESULTS:  # the query's cap: carry on from the last change seen
            last = str((results[-1].get("properties") or {}).get("lastmodifieddate") or "")
            newer = _millis(last)
            if newer <= start_ms:
                raise SourceError(f"More than {MAX_RESULTS} HubSpot contacts changed in the same millisecond; "
                                  "leadhub cannot page past HubSpot's search cap. Run the sync again later.")
            start_ms, after = newer, 0


def _groups(start_ms: int, statuses: list[str], stages: list[str]) -> list[dict[str, Any]]:
    """Modified since ``start_ms`` AND (a progress lead status OR a progress lifecycle stage)."""
    since = {"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(start_ms)}
    groups = []
    if statuses:
        groups.append({"filters": [since, {"propertyName": "hs_lead_status", "operator": "IN", "values": statuses}]})
    if stages:
        groups.append({"filters": [since, {"propertyName": "lifecyclestage", "operator": "IN", "values": stages}]})
    return groups


def _search(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    """One search page, or the error in HubSpot's words."""
    try:
        response = api.call("POST", f"{api.objects}/search", body)
    except requests.RequestException as exc:
        raise SourceError(f"HubSpot could not be reached for the progress read back ({type(exc).__name__}); "
                          "the next sync asks again.") from exc
    if response.status_code == 200:
        return errors.body(response)
    found = errors.body(response)
    text = errors.words(found) if found else f"HubSpot answered HTTP {response.status_code}: {response.text[:200]}"
    if response.status_code == 401:
        raise AuthExpired(f"HubSpot refused the access token ({text}). Store a new one with "
                          f"`leadhub connections set-secret {api.connection} access_token=…`.")
    if response.status_code == 403:
        raise SourceError(f"{text}. The progress read back needs the scope crm.objects.contacts.read.")
    if response.status_code == 429:
        wait = errors.retry_after(response, api.timezone) or "10"
        raise RateLimited(f"HubSpot throttled the progress read back: {text}", float(wait))
    raise SourceError(f"HubSpot refused the progress search (HTTP {response.status_code}): {text}")


def _millis(value: str) -> int:
    """``lastmodifieddate`` (ISO 8601 or epoch milliseconds) as epoch milliseconds; 0 when unreadable."""
    if value.isdigit():
        return int(value)
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return 0
