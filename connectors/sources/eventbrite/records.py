"""One attendee as a lead record: the same flat keys the manifest adds (keep both in step, a test checks it).

The mapping language reads dotted paths, so ``answers[]`` ({question_id, question, answer}) and the
registration status become ``lead_answers`` ({key, label, value}) here and in ``manifest.yaml``.
"""

from __future__ import annotations

from typing import Any


def registration_status(attendee: dict[str, Any]) -> Any:
    """``refunded`` and ``cancelled`` say more than ``Not Attending``; otherwise Eventbrite's own status."""
    if attendee.get("refunded"):
        return "refunded"
    if attendee.get("cancelled"):
        return "cancelled"
    return attendee.get("status")


def lead_answers(attendee: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for answer in attendee.get("answers") or []:
        if answer.get("answer") is not None and answer.get("answer") != "":
            items.append(
                {"key": str(answer.get("question_id")), "label": answer.get("question"), "value": answer["answer"]}
            )
    items.append({"key": "registration_status", "label": "Registration status", "value": registration_status(attendee)})
    items.append({"key": "checked_in", "label": "Checked in", "value": attendee.get("checked_in") is True})
    profile = attendee.get("profile") or {}
    for key, label in (("job_title", "Job title"), ("company", "Company")):
        if profile.get(key):
            items.append({"key": key, "label": label, "value": profile[key]})
    return items


def to_record(attendee: dict[str, Any], event_name: str | None) -> dict[str, Any]:
    """The attendee as Eventbrite sent it, plus ``event_name``, ``registration_status`` and ``lead_answers``."""
    record = {key: value for key, value in attendee.items() if key != "event"}  # an expansion, not attendee data
    record["event_name"] = event_name
    record["registration_status"] = registration_status(attendee)
    record["lead_answers"] = lead_answers(attendee)
    return record


def event_name(expanded: dict[str, Any]) -> str | None:
    """The name of an ``expand=event`` object (``{"name": {"text": …}}``)."""
    name = (expanded.get("event") or {}).get("name") or {}
    text = name.get("text") if isinstance(name, dict) else None
    return str(text) if text is not None else None
