"""Canonical lead → Salesforce Lead fields: the person, LeadSource from our channel through the connection's
mapping, the answers in ``Description``, and any extra fields the connection maps from our data."""

from __future__ import annotations

from typing import Any

from connectors.sinks.base import Item
from connectors.sinks.salesforce.client import mapping

NOT_PROVIDED = "[not provided]"  # the usual filler where Salesforce requires a value we do not have
DEFAULT_LEAD_SOURCES = {"landing_page": "Web"}  # the rest → lead_source_default
PERSON = {"FirstName": "first_name", "LastName": "last_name", "Email": "email", "Phone": "phone", "City": "city",
          "PostalCode": "postcode", "Country": "country"}


def lead_source(data: dict[str, Any], settings: dict[str, Any]) -> str | None:
    """The connection's ``lead_source_map`` by channel, then by source platform; else ``lead_source_default``
    (an entry mapped to null or "" falls back to the default too)."""
    sources = {**DEFAULT_LEAD_SOURCES, **mapping(settings.get("lead_source_map"))}
    channel = (data.get("attribution") or {}).get("channel")
    for key in (channel, data.get("source")):
        if key and sources.get(key):
            return str(sources[key])
    default = settings.get("lead_source_default", "Other")
    return str(default) if default else None


def value_at(data: dict[str, Any], path: str) -> Any:
    """``attribution.campaign_name``, ``person.city``, ``id``, ``person_id`` … in the event data."""
    found: Any = data
    for part in path.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return found


def answers(data: dict[str, Any]) -> str | None:
    lines = []
    for answer in data.get("answers") or []:
        value = answer.get("value")
        value = ", ".join(map(str, value)) if isinstance(value, list) else value
        if value not in (None, ""):
            lines.append(f"{answer.get('label') or answer.get('key')}: {value}")
    return "\n".join(lines) or None


def fields(item: Item, settings: dict[str, Any], fill_required: bool) -> dict[str, Any]:
    """Only filled values, so an update never blanks what a recruiter typed; ``fill_required`` adds the fillers for
    LastName and Company that a new Lead needs."""
    data = item.data
    person = data.get("person") or {}
    found: dict[str, Any] = {name: person.get(key) for name, key in PERSON.items()}
    if not found["LastName"] and fill_required:
        found["LastName"] = person.get("full_name") or NOT_PROVIDED
    found["LeadSource"] = lead_source(data, settings)
    found["Status"] = settings.get("lead_status")
    answers_field = settings.get("answers_field", "Description")
    if answers_field:
        found[answers_field] = answers(data)
    for name, path in mapping(settings.get("fields")).items():
        found[name] = value_at({**data, "person_id": item.person_id}, str(path))
    company = found.get("Company") or (settings.get("company") or NOT_PROVIDED if fill_required else None)
    found["Company"] = company
    return {k: v for k, v in found.items() if v not in (None, "")}
