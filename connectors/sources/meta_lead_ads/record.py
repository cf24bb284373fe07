"""The flat lead record both paths produce: the manifest's ``flatten`` (Jinja) and :func:`flatten` (webhook fetch).

Graph's ``field_data`` (``[{name, values}]``) cannot be read by dotted paths, so each lead gains ``fields``
(question key → answer), ``answers`` (questions that are not contact data, labelled from the form), ``consents``
(checkbox responses; ``is_checked`` is a string), ``utm`` (platform defaults, then the form's tracking
parameters; organic leads keep ``utm_medium=organic``) and ``form_name``. Keep this in step with
``definitions.flatten`` in ``manifest.yaml``.
"""

from __future__ import annotations

from typing import Any

CONTACT_KEYS = (
    "full_name",
    "first_name",
    "last_name",
    "email",
    "work_email",
    "phone_number",
    "work_phone_number",
    "city",
    "zip_code",
    "post_code",
    "country",
)
LEAD_FIELDS = (
    "id,created_time,form_id,ad_id,ad_name,adset_id,adset_name,campaign_id,campaign_name,platform,is_organic,"
    "partner_name,field_data,custom_disclaimer_responses"
)
FORM_FIELDS = "id,name,questions,legal_content,tracking_parameters"


def _value(values: list[str] | None) -> str | list[str] | None:
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def flatten(lead: dict[str, Any], form: dict[str, Any]) -> dict[str, Any]:
    """The lead as Graph returned it, plus the flat keys the default mapping reads."""
    labels = {q["key"]: q.get("label") for q in form.get("questions") or []}
    disclaimer = (form.get("legal_content") or {}).get("custom_disclaimer") or {}
    texts = {box["key"]: box.get("text") for box in disclaimer.get("checkboxes") or []}
    field_data = lead.get("field_data") or []
    utm = {
        "utm_source": lead.get("platform") or "fb",
        "utm_medium": "organic" if lead.get("is_organic") else "paid_social",
    }
    utm.update({p["key"]: p.get("value") for p in form.get("tracking_parameters") or []})
    if lead.get("is_organic"):  # no ad was involved, whatever the form's tracking parameters say
        utm["utm_medium"] = "organic"
    return {
        **lead,
        "form_name": form.get("name") or "",
        "fields": {f["name"]: _value(f.get("values")) for f in field_data},
        "answers": [
            {"key": f["name"], "label": labels.get(f["name"]), "value": _value(f.get("values"))}
            for f in field_data
            if f["name"] not in CONTACT_KEYS
        ],
        "consents": [
            {
                "purpose": r["checkbox_key"],
                "granted": str(r.get("is_checked")).lower() in ("1", "true"),
                "text": texts.get(r["checkbox_key"]),
                "given_at": lead.get("created_time"),
                "source": "meta_lead_ads",
                "legal_basis": "consent",
            }
            for r in lead.get("custom_disclaimer_responses") or []
        ],
        "utm": utm,
    }
