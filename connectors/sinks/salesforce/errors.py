"""Salesforce's answers read in words — error arrays (``errorCode``, ``message``, ``fields``), the matching
records of a duplicate rule — and classified: limits are transient with a long wait, a dead session is auth."""

from __future__ import annotations

from typing import Any

import requests

from connectors.sinks.base import SendResult, classify_status, excerpt

PERMISSION_CODES = {"INSUFFICIENT_ACCESS", "INSUFFICIENT_ACCESS_OR_READONLY", "API_DISABLED_FOR_ORG",
                    "API_CURRENTLY_DISABLED", "FUNCTIONALITY_NOT_ENABLED"}


def entries(response: requests.Response) -> list[dict[str, Any]]:
    try:
        found = response.json()
    except ValueError:
        return []
    if isinstance(found, dict):
        found = [found]
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def codes(errors: list[dict[str, Any]]) -> set[str]:
    return {str(e.get("errorCode") or e.get("statusCode")) for e in errors}


def words(errors: list[dict[str, Any]]) -> str:
    """``REQUIRED_FIELD_MISSING: Required fields are missing: [Company] (fields: Company)``; duplicates name the
    rule and the Leads it matched."""
    parts = []
    for error in errors:
        code = error.get("errorCode") or error.get("statusCode")
        text = f"{code}: {error.get('message')}"
        if error.get("fields"):
            text += f" (fields: {', '.join(map(str, error['fields']))})"
        duplicate = error.get("duplicateResult")
        if isinstance(duplicate, dict):
            text += _duplicates(duplicate)
        parts.append(text)
    return "; ".join(parts) or "no error details"


def _duplicates(result: dict[str, Any]) -> str:
    ids = [str(r.get("record", {}).get("Id")) for m in result.get("matchResults") or []
           for r in m.get("matchRecords") or []]
    rule = result.get("duplicateRule", "a duplicate rule")
    bypass = "an alert the connection setting allow_duplicates can save past" if result.get("allowSave") else (
        "a blocking rule; only a Salesforce admin can change it")
    return f" — duplicate rule {rule} matched Lead {', '.join(ids)} ({bypass})"


def failure(response: requests.Response, summary: str, api: Any) -> SendResult:
    """A refused call, classified the Salesforce way."""
    status, found = response.status_code, entries(response)
    found_codes = codes(found)
    outcome, retry_after = classify_status(status), response.headers.get("Retry-After")
    text = f"Salesforce refused the Lead: {words(found)}" if found else f"Salesforce answered HTTP {status}"
    usage = response.headers.get("Sforce-Limit-Info")
    if status == 401 or "INVALID_SESSION_ID" in found_codes:
        outcome = "auth"
        text = (f"Salesforce refused the access token ({words(found)}). Get a new one (docs/connectors/salesforce.md) "
                f"and store it with `leadhub connections set-secret {api.connection} access_token=…`.")
    elif "REQUEST_LIMIT_EXCEEDED" in found_codes:  # 403, but the org's API allowance, not our permissions
        outcome = "transient"
        daily = any("TotalRequests" in str(e.get("message")) for e in found)
        retry_after = retry_after or str(int(api.limit_wait_s if daily else 60))
        text = f"Salesforce API limit reached ({words(found)}{'; ' + usage if usage else ''}); waiting {retry_after} s."
    elif status == 403 and found_codes & PERMISSION_CODES:
        outcome = "auth"
        text = f"Salesforce denies the integration user: {words(found)}. Fix its profile or permission set."
    elif status == 404 and "NOT_FOUND" in found_codes and "external ID" in words(found):
        outcome = "permanent"
        text = (f"{text}. Create the Lead field {api.external_id} as Text(80), External ID and Unique, or set the "
                "connection setting external_id_field.")
    elif "DUPLICATES_DETECTED" in found_codes:
        outcome = "permanent"
    elif outcome == "transient":
        text = f"Salesforce failed (HTTP {status}): {words(found) if found else response.text[:200]}"
    return SendResult(outcome, status, excerpt(response), summary, f"{text} [{summary}]", retry_after)


def timeout(exc: requests.RequestException, summary: str, seconds: float) -> SendResult:
    kind = "did not answer within" if isinstance(exc, requests.Timeout) else "could not be reached in"
    text = (f"Salesforce {kind} {seconds:g} s ({type(exc).__name__}). The Lead may have been written; the retry "
            "upserts by the same external id, so it will not be doubled.")
    return SendResult("transient", None, None, summary, f"{text} [{summary}]")
