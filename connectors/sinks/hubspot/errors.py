"""HubSpot's answers read in words: the JSON-inside-a-string ``message``, ``errors[]``, the 409 that names the
existing contact, and how long a 429 (``X-HubSpot-RateLimit-*``, ``policyName``) asks us to wait."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests

from connectors.sinks.base import SendResult, classify_status, excerpt
from connectors.sinks.hubspot.properties import ATTRIBUTION, PERSON

EXISTING_ID = re.compile(r"Existing ID: (\d+)")
INVALID = "Property values were not valid: "
# which of our fields a HubSpot property comes from, so the admin knows what to fix in the mapping
SOURCE_FIELD = {prop: f"person.{f}" for f, prop in PERSON.items()} | {
    prop: f"attribution.{f}" for f, prop in ATTRIBUTION.items()
} | {"lifecyclestage": "the connection setting lifecycle_stage", "hs_lead_status": "the connection setting lead_status"}


def body(response: requests.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def words(error: dict[str, Any]) -> str:
    """One HubSpot error as a sentence, e.g. ``email (from person.email): Email address x is invalid
    (INVALID_EMAIL)``."""
    message = str(error.get("message") or "").strip()
    category = error.get("category") or error.get("errorType") or "error"
    if message.startswith(INVALID):
        try:
            problems = json.loads(message[len(INVALID):])
        except ValueError:
            problems = None
        if isinstance(problems, list):
            return f"HubSpot refused property values ({category}): " + "; ".join(_problem(p) for p in problems) + "."
    details = [_detail(e) for e in error.get("errors") or [] if isinstance(e, dict) and e.get("message")]
    return f"HubSpot says ({category}): {message}" + (f" — {'; '.join(details)}" if details else "")


def _detail(error: dict[str, Any]) -> str:
    """``One or more of the following scopes are required: crm.schemas.contacts.write`` and the like."""
    text = str(error.get("message")).rstrip(".")
    context = error.get("context")
    lists = context.values() if isinstance(context, dict) else []
    values = [str(v) for vs in lists if isinstance(vs, list) for v in vs]
    text += f": {', '.join(values)}" if values else ""
    return text + (f" ({error['code']})" if error.get("code") else "")


def _problem(problem: dict[str, Any]) -> str:
    name = str(problem.get("name", "?"))
    source = f" (from {SOURCE_FIELD[name]})" if name in SOURCE_FIELD else ""
    code = problem.get("error")
    hint = " — run the connection's setup to create leadhub's properties" if code == "PROPERTY_DOESNT_EXIST" else ""
    return f"{name}{source}: {problem.get('message')} ({code}){hint}"


def codes(error: dict[str, Any]) -> set[str]:
    """The ``error`` codes inside a ``Property values were not valid`` message, plus ``errors[].code``."""
    message = str(error.get("message") or "")
    found = set(re.findall(r'"error":"([A-Z_]+)"', message))
    return found | {str(e.get("code")) for e in error.get("errors") or [] if isinstance(e, dict) and e.get("code")}


def existing_id(error: dict[str, Any]) -> str | None:
    """The contact a 409 names: ``Contact already exists. Existing ID: 151`` (the id is only in the text)."""
    match = EXISTING_ID.search(str(error.get("message") or ""))
    return match.group(1) if match else None


def retry_after(response: requests.Response, portal_timezone: str = "UTC") -> str | None:
    """Seconds to wait: ``Retry-After`` when sent; the daily cap lasts until midnight in the portal's time zone;
    the rolling limit for ``X-HubSpot-RateLimit-Interval-Milliseconds``."""
    if response.headers.get("Retry-After"):
        return response.headers["Retry-After"]
    if response.status_code != 429:
        return None
    if body(response).get("policyName") == "DAILY":
        now = datetime.now(ZoneInfo(portal_timezone))
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=5, microsecond=0)
        return str(math.ceil((midnight - now).total_seconds()))
    interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
    return str(max(1, math.ceil(int(interval) / 1000))) if interval.isdigit() else "10"


def failure(response: requests.Response, summary: str, connection: str, portal_timezone: str = "UTC") -> SendResult:
    """A whole call that failed, classified the HubSpot way."""
    status, found = response.status_code, body(response)
    outcome = classify_status(status)
    text = words(found) if found else f"HubSpot answered HTTP {status}: {response.text[:200]}"
    if status == 477:  # Migration in Progress: the portal is moving data centres, Retry-After says how long
        outcome = "transient"
    if status == 401:
        text = (f"HubSpot refused the access token (HTTP 401, {found.get('category', 'INVALID_AUTHENTICATION')}). "
                "Create a new private-app access token (or reconnect the app) and store it with "
                f"`leadhub connections set-secret {connection} access_token=…`.")
    elif status == 403:
        text = (f"{words(found).rstrip('.')}. Give the private app the scopes crm.objects.contacts.read/write and "
                "crm.schemas.contacts.read/write, then store its token again.")
    elif status == 429:
        policy = found.get("policyName", "the rate limit")
        text = f"HubSpot throttled us ({policy}): {found.get('message', 'too many requests')}"
    elif outcome == "transient":
        text = f"HubSpot failed (HTTP {status}): {text}"
    return SendResult(outcome, status, excerpt(response), summary, f"{text} [{summary}]",
                      retry_after(response, portal_timezone))


def timeout(exc: requests.RequestException, summary: str, seconds: float) -> SendResult:
    kind = "did not answer within" if isinstance(exc, requests.Timeout) else "could not be reached in"
    text = (f"HubSpot {kind} {seconds:g} s ({type(exc).__name__}). The contact may have been written; the retry "
            "upserts by the same key, so it will not be doubled.")
    return SendResult("transient", None, None, summary, f"{text} [{summary}]")
