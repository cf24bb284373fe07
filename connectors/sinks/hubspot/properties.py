"""The contact properties leadhub writes to HubSpot: the standard ones it fills and the ``leadhub_*`` ones it
creates on setup (group ``leadhub``), idempotently — a property that exists already is left as it is."""

from __future__ import annotations

from typing import Any

GROUP = {"name": "leadhub", "label": "leadhub", "displayOrder": -1}
PERSON_ID = "leadhub_person_id"

# canonical person field → HubSpot's standard contact property
PERSON = {"email": "email", "first_name": "firstname", "last_name": "lastname", "phone": "phone", "city": "city",
          "postcode": "zip", "country": "country"}

# canonical attribution field → our custom property (kept exact: ids as strings)
ATTRIBUTION = {
    "channel": "leadhub_channel",
    "campaign_id": "leadhub_campaign_id",
    "campaign_name": "leadhub_campaign",
    "ad_set_id": "leadhub_ad_set_id",
    "ad_set_name": "leadhub_ad_set",
    "ad_id": "leadhub_ad_id",
    "ad_name": "leadhub_ad",
    "form_id": "leadhub_form_id",
    "form_name": "leadhub_form",
    "event_name": "leadhub_event",
    "utm_source": "leadhub_utm_source",
    "utm_medium": "leadhub_utm_medium",
    "utm_campaign": "leadhub_utm_campaign",
    "utm_term": "leadhub_utm_term",
    "utm_content": "leadhub_utm_content",
}

LABELS = {
    PERSON_ID: "leadhub person id",
    "leadhub_lead_id": "leadhub lead id (latest)",
    "leadhub_source": "Lead source platform",
    "leadhub_captured_at": "Lead captured at",
    "leadhub_channel": "Lead channel",
    "leadhub_campaign_id": "Lead campaign id",
    "leadhub_campaign": "Lead campaign",
    "leadhub_ad_set_id": "Lead ad set id",
    "leadhub_ad_set": "Lead ad set",
    "leadhub_ad_id": "Lead ad id",
    "leadhub_ad": "Lead ad",
    "leadhub_form_id": "Lead form id",
    "leadhub_form": "Lead form",
    "leadhub_event": "Lead event",
    "leadhub_utm_source": "Lead UTM source",
    "leadhub_utm_medium": "Lead UTM medium",
    "leadhub_utm_campaign": "Lead UTM campaign",
    "leadhub_utm_term": "Lead UTM term",
    "leadhub_utm_content": "Lead UTM content",
}


def definitions() -> list[dict[str, Any]]:
    """The ``POST /crm/v3/properties/contacts`` bodies; the person id is unique so contacts can be upserted by it."""
    found = []
    for name, label in LABELS.items():
        kind = ("datetime", "date") if name == "leadhub_captured_at" else ("string", "text")
        body: dict[str, Any] = {"name": name, "label": label, "type": kind[0], "fieldType": kind[1],
                                "groupName": GROUP["name"], "description": "Written by leadhub."}
        if name == PERSON_ID:
            body["hasUniqueValue"] = True
        found.append(body)
    return found


def ours(name: str) -> bool:
    return name in LABELS
