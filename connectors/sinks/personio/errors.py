"""Personio's answers in words: field errors ``{"errors":[{"field","errors":[{"reason","context"}]}]}``, the
generic ``{"errors":[{"id","status","title","detail"}]}``, the duplicate ``errors.applicant-already-exists``,
and the 429 after 20 calls in 60 s per company (no ``Retry-After``: Personio asks for a 60 s pause)."""

from __future__ import annotations

from typing import Any

import requests

from connectors.sinks.base import SendResult, classify_status, excerpt

COOL_DOWN_S = "60"
ALREADY_APPLIED = {"errors.applicant-already-exists", "errors.applicant-exists"}
REASONS = {
    "errors.attribute-validation.required-attribute": "is required but missing or blank",
    "errors.attribute-validation.invalid-email-format": "is not a valid email address",
    "errors.attribute-validation.invalid-date-format": "is not an ISO-8601 date (yyyy-mm-dd)",
    "errors.attribute-validation.invalid-type": "has the wrong type",
    "errors.attribute-validation.unknown": "is not an attribute this Personio account knows",
    "errors.attribute-validation.unknown-attribute-option": "is not one of the attribute's options",
    "errors.date-validation.date-in-the-future": "lies in the future",
    "errors.phase-validation.invalid-system-phase": "is not a system phase (unassigned, rejected, withdrawn, "
                                                    "offer, accepted)",
    "errors.file-validation.file-not-exists": "names an uploaded document Personio cannot find",
    "errors.invalid-file-type": "is a file type Personio does not accept",
    "errors.file-too-big": "is larger than Personio's 20 MB limit",
    "errors.applicant-already-exists": "has already applied to this job position",
    "errors.applicant-exists": "has already applied to this job position",
    "errors.posting-validation.posting-not-found": "names a job position or posting Personio cannot find",
    "errors.job-position.not-published": "names a job position that is not published",
    "errors.posting-validation.channel-not-found": "names a recruiting channel Personio cannot find",
    "feature.recruiting.disabled": "this Personio account has no recruiting module",
    "feature.public-api.disabled": "this Personio account has no access to the Recruiting API",
}
SOURCE = {
    "first_name": "person.first_name", "last_name": "person.last_name", "email": "person.email",
    "job_position_id": "the job's external id, mapped by the connection setting job_position_ids",
    "recruiting_channel_id": "the connection settings channel_ids / channel_id",
    "application_date": "the day of the conversion", "phase": "the connection setting phase",
}


def body(response: requests.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def reasons(found: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """``(field, reason, context)`` for every field error, ``("", detail, {})`` for the generic shape."""
    out = []
    for error in found.get("errors") or []:
        if not isinstance(error, dict):
            continue
        if "field" in error:
            for each in error.get("errors") or []:
                out.append((str(error["field"]), str(each.get("reason", "")), dict(each.get("context") or {})))
        else:
            out.append(("", str(error.get("detail") or error.get("details") or error.get("title") or ""), {}))
    return out


def words(found: dict[str, Any], status: int) -> str:
    """``Personio refused the application (HTTP 400): email (from person.email) is not a valid email address
    (errors.attribute-validation.invalid-email-format).``"""
    parts = []
    for field, reason, context in reasons(found):
        where = f"{field} (from {SOURCE[field.split('.')[0]]})" if field.split(".")[0] in SOURCE else field
        said = REASONS.get(reason, "was refused")
        extra = f" {context}" if context else ""
        parts.append(f"{where} {said} ({reason}{extra})".strip() if field else f"{reason}: {REASONS.get(reason, '')}")
    text = "; ".join(p.rstrip(": ") for p in parts) or "no details"
    return f"Personio refused the application (HTTP {status}): {text}."


def already_applied(found: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The duplicate error and its context (which may name the existing application), if that is the answer."""
    return next(((r, c) for _, r, c in reasons(found) if r in ALREADY_APPLIED), None)


def failure(response: requests.Response, summary: str, connection: str) -> SendResult:
    status, found = response.status_code, body(response)
    outcome = classify_status(status)
    text = words(found, status) if found else f"Personio answered HTTP {status}: {response.text[:200]}"
    retry_after = response.headers.get("Retry-After")
    if status == 401:
        text = ("Personio did not recognise the Recruiting API token or the company id (HTTP 401). Copy the token "
                "from Settings → Integrations → API credentials → Recruiting API key (not the personnel-data client "
                f"id/secret) and store it with `leadhub connections set-secret {connection} access_token=…`; check "
                "the connection setting company_id.")
    elif status == 403:
        text = f"{words(found, status)} Ask Personio to enable the Recruiting API for this account."
    elif status == 429:
        text = "Personio's limit of 20 calls in 60 s for this company is reached (HTTP 429); waiting 60 s."
        retry_after = retry_after or COOL_DOWN_S
    elif outcome == "transient":
        text = f"Personio failed (HTTP {status}): {text}"
    return SendResult(outcome, status, excerpt(response), summary, f"{text} [{summary}]", retry_after)


def timeout(exc: requests.RequestException, summary: str, seconds: float) -> SendResult:
    kind = "did not answer within" if isinstance(exc, requests.Timeout) else "could not be reached in"
    text = (f"Personio {kind} {seconds:g} s ({type(exc).__name__}). The application may have been created; the "
            "retry is answered errors.applicant-already-exists then, which counts as delivered.")
    return SendResult("transient", None, None, summary, f"{text} [{summary}]")
