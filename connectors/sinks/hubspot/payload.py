"""Canonical lead → HubSpot contact properties, and the merge of a batch's items into one input per contact
(HubSpot refuses a batch that names the same contact twice)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.sinks.base import Item
from connectors.sinks.hubspot.properties import ATTRIBUTION, PERSON, PERSON_ID


@dataclass
class Contact:
    """One contact to write and the batch items (by index) it answers for."""

    items: list[int]
    properties: dict[str, str]
    remote_id: str | None = None
    trace: str = field(default="")

    def key(self, id_property: str) -> tuple[str, str]:
        """How an upsert names this contact: by ``id_property``; by our person id when it has no email."""
        if id_property == "email" and self.properties.get("email"):
            return "email", self.properties["email"].lower()
        return (PERSON_ID if id_property == "email" else id_property), self.properties[PERSON_ID]


def properties(item: Item, settings: dict[str, Any]) -> dict[str, str]:
    """Only filled values: an empty one would blank what a recruiter typed into HubSpot."""
    data = item.data
    person, attribution = data.get("person") or {}, data.get("attribution") or {}
    found = {prop: person.get(field) for field, prop in PERSON.items()}
    found.update({prop: attribution.get(field) for field, prop in ATTRIBUTION.items()})
    found.update(
        {
            PERSON_ID: item.person_id,
            "leadhub_lead_id": data.get("id") or item.subject_id,
            "leadhub_source": data.get("source"),
            "leadhub_captured_at": _ms(data.get("captured_at")),
            "lifecyclestage": settings.get("lifecycle_stage", "lead"),
            "hs_lead_status": settings.get("lead_status"),
        }
    )
    id_property = settings.get("id_property", "email")
    if id_property not in ("email", PERSON_ID):
        found[id_property] = item.person_id  # a unique property of the portal's own choosing holds our person id
    return {k: str(v) for k, v in found.items() if v not in (None, "")}


def _ms(value: str | None) -> str | None:
    """HubSpot datetime properties take milliseconds since the epoch."""
    if not value:
        return None
    return str(int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000))


def merge(contacts: list[Contact], key: Any) -> list[Contact]:
    """Contacts with the same ``key(contact)`` become one: later values win, every item keeps its answer."""
    merged: dict[Any, Contact] = {}
    for contact in contacts:
        k = key(contact)
        found = merged.get(k)
        if found is None:
            merged[k] = Contact(list(contact.items), dict(contact.properties), contact.remote_id)
        else:
            found.items += contact.items
            found.properties.update(contact.properties)
            found.remote_id = found.remote_id or contact.remote_id
    return list(merged.values())


def contacts(items: list[Item], settings: dict[str, Any]) -> list[Contact]:
    """One contact per person (every item of a person carries the same recorded remote id)."""
    each = [Contact([n], properties(item, settings), item.remote_ids.get("person")) for n, item in enumerate(items)]
    return merge(each, lambda c: c.properties.get(PERSON_ID) or c.items[0])
