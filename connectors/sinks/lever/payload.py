"""Canonical lead or application → a Lever opportunity body: the person, ``sources`` = our credited label,
``origin``, ``tags`` from the campaign, ``postings`` from the job mapping."""

from __future__ import annotations

from typing import Any

from connectors import registry
from connectors.sinks.base import Item
from core.errors import NotFound

ORIGINS = ("agency", "applied", "internal", "referred", "sourced", "university")


def label(platform: str) -> str:
    """What Lever shows as the source: the source connector's own label, e.g. "Meta Lead Ads"."""
    try:
        module = registry.get(platform, "source").load()
    except NotFound:
        module = None
    return str(getattr(module, "SOURCE_LABEL", None) or platform.replace("_", " ").title())


def source(item: Item) -> str | None:
    """An application names its credited label already; a lead names its platform."""
    data = item.data
    if item.event_type == "application.created":
        return data.get("source") or (label(data["source_platform"]) if data.get("source_platform") else None)
    return label(data["source"]) if data.get("source") else None


def tags(item: Item, settings: dict[str, Any]) -> list[str]:
    attribution = item.data.get("attribution") or {}
    found = [attribution.get("campaign_name") or attribution.get("utm_campaign"), attribution.get("event_name")]
    found += list(settings.get("tags") or [])
    return list(dict.fromkeys(str(t).strip() for t in found if t and str(t).strip()))


def posting_id(item: Item, settings: dict[str, Any]) -> str | None:
    """``settings.posting_ids[job external id]``, else the external id itself (a job synced from Lever)."""
    job = item.data.get("job") or {}
    external = job.get("external_id")
    if not external:
        return None
    return str((settings.get("posting_ids") or {}).get(external) or external)


def opportunity(item: Item, settings: dict[str, Any], posting: str | None) -> dict[str, Any]:
    person = item.data.get("person") or {}
    name = person.get("full_name") or " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p)
    body: dict[str, Any] = {
        "name": name or None,
        "emails": [person["email"]] if person.get("email") else [],
        "phones": [{"type": "mobile", "value": person["phone"]}] if person.get("phone") else [],
        "links": [person["linkedin_url"]] if person.get("linkedin_url") else [],
        "location": person.get("city"),
        "tags": tags(item, settings),
        "sources": [s for s in [source(item)] if s],
        "origin": str(settings.get("origin") or "sourced"),
    }
    if posting:
        body["postings"] = [posting]
        if settings.get("application_stage"):
            body["stage"] = str(settings["application_stage"])
    elif settings.get("lead_stage"):
        body["stage"] = str(settings["lead_stage"])
    return {k: v for k, v in body.items() if v not in (None, "", [])}


def conversion_note(item: Item, posting: str | None) -> str:
    """Written on a lead's opportunity when the person applies: the job, and the credited source."""
    job = item.data.get("job") or {}
    return (f"leadhub: converted to an application for “{job.get('title') or job.get('external_id')}” "
            f"(job {job.get('external_id')}, posting {posting or 'unmapped'}); credited source: {source(item)}.")
