"""Canonical lead / application → Greenhouse fields: the person, the source id of our channel (per connection), the
Greenhouse job id of our job, and the CV as a base64 attachment."""

from __future__ import annotations

import base64
import re
from typing import Any

from connectors.sinks.base import File, SendResult
from connectors.sinks.greenhouse.client import Refused, listing, mapping

NOT_PROVIDED = "[not provided]"  # Greenhouse requires first and last name; a lead may lack one
DEFAULT_TAGS = ("leadhub",)


def person(data: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """A new prospect or candidate: names, email, phone, address, tags."""
    found = data.get("person") or {}
    first, last = found.get("first_name"), found.get("last_name")
    if not (first and last) and found.get("full_name"):
        parts = str(found["full_name"]).split()
        first, last = first or (parts[0] if parts else None), last or (" ".join(parts[1:]) or None)
    fields: dict[str, Any] = {"first_name": first or NOT_PROVIDED, "last_name": last or NOT_PROVIDED}
    if found.get("email"):
        fields["email_addresses"] = [{"value": found["email"], "type": "personal"}]
    if found.get("phone"):
        fields["phone_numbers"] = [{"value": found["phone"], "type": "mobile"}]
    place = " ".join(str(found[k]) for k in ("postcode", "city") if found.get(k))
    address = ", ".join(part for part in (place, str(found.get("country") or "")) if part)
    if address:
        fields["addresses"] = [{"value": address, "type": "home"}]
    fields["tags"] = tags(settings)
    return fields


def tags(settings: dict[str, Any]) -> list[str]:
    return [str(t) for t in listing(settings.get("tags", list(DEFAULT_TAGS)))]


def additions(candidate: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """What a known person lacks (a new email, phone or tag); Greenhouse replaces these arrays on PATCH, so the
    existing entries are sent along. Names and everything a recruiter typed stay untouched."""
    changes: dict[str, Any] = {}
    for key, norm in (("email_addresses", str.lower), ("phone_numbers", _digits)):
        have = list(candidate.get(key) or [])
        known = {norm(str(e.get("value") or "")) for e in have}
        new = [e for e in fields.get(key) or [] if norm(str(e["value"])) not in known]
        if new:
            changes[key] = [{"value": e.get("value"), "type": e.get("type")} for e in have] + new
    have_tags = [str(t) for t in candidate.get("tags") or []]
    new_tags = [t for t in fields.get("tags") or [] if t not in have_tags]
    if new_tags:
        changes["tags"] = have_tags + new_tags
    return changes


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def source_id(data: dict[str, Any], settings: dict[str, Any]) -> int | None:
    """``source_ids`` by our source platform (``meta_lead_ads`` …), then by channel, then its ``default``."""
    ids = mapping(settings.get("source_ids"))
    channel = (data.get("attribution") or {}).get("channel")
    for key in (data.get("source_platform"), data.get("source"), channel, "default"):
        if key and ids.get(str(key)) not in (None, ""):
            return int(ids[str(key)])
    return None


def job_id(data: dict[str, Any], settings: dict[str, Any]) -> int:
    """``job_ids`` maps our job's external id to a Greenhouse job id; a numeric external id is taken as one."""
    job = data.get("job") or {}
    ours = str(job.get("external_id") or "")
    ids = mapping(settings.get("job_ids"))
    if ids.get(ours) not in (None, ""):
        return int(ids[ours])
    if ours.isdigit():
        return int(ours)
    text = (f"Our job {ours or '(none)'} has no Greenhouse job id. Add it to the connection setting job_ids "
            f"(job_ids: {{{ours or 'J-1'}: <Greenhouse job id>}}) or use the Greenhouse job id as the job's "
            "external id, then replay this delivery.")
    raise Refused(SendResult("permanent", None, None, "not sent", text))


def prospect_application(data: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any] | None:
    """The prospect's (jobless unless ``prospect_job_ids`` says) application, crediting the source."""
    found: dict[str, Any] = {}
    source = source_id(data, settings)
    if source is not None:
        found["source_id"] = source
    jobs = [int(j) for j in listing(settings.get("prospect_job_ids"))]
    if jobs:
        found["job_ids"] = jobs
    return found or None


def application(data: dict[str, Any], settings: dict[str, Any], job: int) -> dict[str, Any]:
    found: dict[str, Any] = {"job_id": job}
    source = source_id(data, settings)
    if source is not None:
        found["source_id"] = source
    stage = mapping(settings.get("initial_stage_ids")).get(str(job))
    if stage not in (None, ""):
        found["initial_stage_id"] = int(stage)
    return found


def attachment(file: File) -> dict[str, Any]:
    """Harvest takes files inline as base64 with their MIME type (required for ``content``)."""
    return {
        "filename": file.filename,
        "type": "resume",
        "content": base64.b64encode(file.content).decode("ascii"),
        "content_type": file.content_type,
    }
