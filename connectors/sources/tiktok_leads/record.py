"""One lead as a flat record: the export's CSV row plus ``fields``, ``answers`` and ``consents``.

The manifest builds the same three keys in Jinja (``manifest.yaml``, ``flatten``) for pulled rows; this module
does it for leads fetched after a push, so both paths give the mapping the same shape. Form questions arrive
under their labels; a label's key is its lower-cased words joined by ``_`` (``Phone number`` → ``phone_number``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

METADATA = frozenset(
    {
        "lead_id",
        "created_time",
        "create_time",
        "advertiser_id",
        "campaign_id",
        "campaign_name",
        "adgroup_id",
        "adgroup_name",
        "ad_id",
        "ad_name",
        "page_id",
        "page_name",
        "form_id",
        "form_name",
        "is_test",
        "lead_source",
    }
)
FLAT = frozenset({"fields", "answers", "consents"})
# TikTok's standard questions (English export labels) and German labels a form may use instead.
STANDARD = frozenset(
    {
        *("name", "full_name", "first_name", "last_name", "email", "work_email", "phone_number", "phone"),
        *("city", "state", "province", "country", "zip_code", "postal_code", "address", "gender"),
        *("date_of_birth", "age", "company_name", "job_title"),
        *("vorname", "nachname", "e_mail", "telefonnummer", "stadt", "ort", "postleitzahl", "plz"),
    }
)
CONSENT_PREFIXES = ("consent", "einwilligung", "opt_in")
YES = frozenset({"yes", "ja", "true", "1", "x", "checked", "agree", "agreed", "zugestimmt", "einverstanden"})
_NON_WORD = re.compile(r"[\W_]+")


def key(label: str) -> str:
    """The stable key of a question label (same as the manifest's ``regex_replace``/``trim``)."""
    return _NON_WORD.sub("_", label.lower()).strip("_")


def flatten(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row with every answer under ``fields``; custom questions as ``answers``; opt-ins as ``consents``."""
    fields: dict[str, Any] = {}
    answers: list[dict[str, Any]] = []
    consents: list[dict[str, Any]] = []
    for label, value in row.items():
        name = key(str(label))
        if name in METADATA or name in FLAT:
            continue
        fields[name] = value
        if name.startswith(CONSENT_PREFIXES):
            granted = str(value or "").strip().lower() in YES
            consents.append({"purpose": name, "granted": granted, "text": str(label), "source": "tiktok"})
        elif name not in STANDARD:
            answers.append({"key": name, "label": str(label), "value": value})
    return {**row, "fields": fields, "answers": answers, "consents": consents}


def _text(value: Any) -> str | None:
    """A cell as the export has it: text, ``true``/``false``, and None for an empty cell."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value in (None, "") else str(value)


def row_from_api(lead: Mapping[str, Any], advertiser_id: str = "") -> dict[str, str | None]:
    """A lead from ``/lead/get/`` as the export's CSV row: metadata columns, then one column per question label."""
    row = {name: _text(value) for name, value in lead.items() if name in METADATA}
    if advertiser_id and not row.get("advertiser_id"):
        row["advertiser_id"] = advertiser_id
    for item in lead.get("field_data") or lead.get("fields") or []:
        label = item.get("field_name") or item.get("name") or item.get("label") or item.get("field_id")
        value = item.get("field_value", item.get("value"))
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        row[str(label)] = _text(value)
    return row


def lead_id(row: Mapping[str, Any]) -> str:
    """The lead id of a row or a fetched lead (headers seen as ``lead_id``, ``lead id``, ``Lead ID``)."""
    for name, value in row.items():
        if key(str(name)) == "lead_id" and value not in (None, ""):
            return str(value).strip().lstrip("'")
    raise ValueError("The record has no lead_id column; the export or the lead answer changed shape.")
