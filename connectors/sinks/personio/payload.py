"""Canonical application → Personio's ``POST /v1/recruiting/applications`` body: the person, the job position,
``recruiting_channel_id`` from our source platform, tags from the campaign, uploaded documents by uuid."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.sinks.base import Item


class Unmapped(ValueError):
    """A value Personio needs as an integer id that the connection settings do not provide."""


def job_position_id(item: Item, settings: dict[str, Any]) -> int:
    """``settings.job_position_ids[job external id]``, else the external id itself (a job from Personio's feed)."""
    job = item.data.get("job") or {}
    external = job.get("external_id")
    value = (settings.get("job_position_ids") or {}).get(external, external)
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise Unmapped(f"The job {external!r} ({job.get('title')}) has no Personio job position id: add it to the "
                       "connection setting job_position_ids (the ids are in Personio's XML feed, "
                       "/xml?language=de).") from None


def channel_id(item: Item, settings: dict[str, Any]) -> int | None:
    """Our source platform's recruiting channel (``channel_ids``), else ``channel_id``; none is allowed."""
    platform = item.data.get("source_platform")
    value = (settings.get("channel_ids") or {}).get(platform) or settings.get("channel_id")
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError:
        raise Unmapped(f"The recruiting channel id {value!r} for {platform} is not a number; see Settings → "
                       "Recruiting → Channels in Personio.") from None


def names(person: dict[str, Any]) -> tuple[str | None, str | None]:
    """First and last name; a full name alone is split at its last space."""
    first, last = person.get("first_name"), person.get("last_name")
    if not (first or last) and person.get("full_name"):
        head, _, tail = str(person["full_name"]).strip().rpartition(" ")
        first, last = (head, tail) if head else (None, tail)
    return first, last


def tags(item: Item, settings: dict[str, Any], channel: int | None) -> list[str]:
    """The campaign (and event); the credited source too when no channel carries it."""
    data = item.data
    attribution = data.get("attribution") or {}
    found = [attribution.get("campaign_name") or attribution.get("utm_campaign"), attribution.get("event_name")]
    if channel is None:
        found.append(data.get("source"))
    found += list(settings.get("tags") or [])
    return list(dict.fromkeys(str(t).strip() for t in found if t and str(t).strip()))


def application(item: Item, settings: dict[str, Any], uploaded: list[dict[str, Any]]) -> dict[str, Any]:
    person = item.data.get("person") or {}
    first, last = names(person)
    channel = channel_id(item, settings)
    attributes = [{"id": "phone", "value": person.get("phone")}, {"id": "location", "value": person.get("city")}]
    body: dict[str, Any] = {
        "first_name": first,
        "last_name": last,
        "email": person.get("email"),
        "job_position_id": job_position_id(item, settings),
        "recruiting_channel_id": channel,
        "application_date": datetime.now(UTC).date().isoformat(),  # never ahead of Personio's (European) today
        "phase": settings.get("phase"),
        "tags": tags(item, settings, channel),
        "files": [{"uuid": doc["uuid"], "original_filename": doc.get("original_filename"),
                   "category": "cv" if n == 0 else "other"} for n, doc in enumerate(uploaded)],
        "attributes": [a for a in attributes if a["value"] and a["id"] in settings.get("attributes", ("phone",
                                                                                                      "location"))],
    }
    return {k: v for k, v in body.items() if v not in (None, "", [])}
