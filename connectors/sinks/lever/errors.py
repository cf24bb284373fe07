"""Lever's answers in words: ``{"code": "BadRequestError", "message": "…"}``, the 401/403 that need a new key,
the 429 of its token bucket (about 10 requests/s, bursts of 20, no ``Retry-After`` documented)."""

from __future__ import annotations

from typing import Any

import requests

from connectors.sinks.base import SendResult, classify_status, excerpt

# a 429 without Retry-After: Lever's bucket refills 10 tokens a second, so a short pause is enough
THROTTLE_WAIT_S = "2"
HINTS = {
    "perform_as": "set the connection setting perform_as to the id of an active Lever user",
    "posting": "map the job's external id to a Lever posting id in the connection setting posting_ids",
    "origin": "the connection setting origin must be one of agency, applied, internal, referred, sourced, university",
}


def body(response: requests.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def words(found: dict[str, Any], status: int) -> str:
    """``Lever refused the request (HTTP 400 BadRequestError): Invalid posting id — map the job's …``."""
    code = found.get("code") or "error"
    message = str(found.get("message") or "no message").strip()
    hints = [hint for key, hint in HINTS.items() if key in message.lower()]
    return f"Lever refused the request (HTTP {status} {code}): {message}" + (f" — {hints[0]}" if hints else "")


def failure(response: requests.Response, summary: str, connection: str) -> SendResult:
    status, found = response.status_code, body(response)
    outcome = classify_status(status)
    text = words(found, status) if found else f"Lever answered HTTP {status}: {response.text[:200]}"
    retry_after = response.headers.get("Retry-After")
    if status == 401:
        text = (f"Lever refused the API key (HTTP 401 {found.get('code', 'UnauthorizedError')}). Create a key under "
                "Settings → Integrations and API → API credentials (with the Opportunities and Files endpoints) and "
                f"store it with `leadhub connections set-secret {connection} api_key=…`.")
    elif status == 403:
        text = (f"{words(found, status)}. Give the API key access to the Opportunities, Files and Notes endpoints, "
                f"then store it again with `leadhub connections set-secret {connection} api_key=…`.")
    elif status == 429:
        text = f"Lever throttled us (HTTP 429 {found.get('code', 'TooManyRequestsError')}): {found.get('message', '')}"
        retry_after = retry_after or THROTTLE_WAIT_S
    elif outcome == "transient":
        text = f"Lever failed (HTTP {status}): {text}"
    return SendResult(outcome, status, excerpt(response), summary, f"{text} [{summary}]", retry_after)


def timeout(exc: requests.RequestException, summary: str, seconds: float, wrote: bool) -> SendResult:
    kind = "did not answer within" if isinstance(exc, requests.Timeout) else "could not be reached in"
    text = f"Lever {kind} {seconds:g} s ({type(exc).__name__})."
    if wrote:
        text += (" The opportunity may have been written; the retry looks it up by our recorded id and by email "
                 "before it creates one, so it will not be doubled.")
    return SendResult("transient", None, None, summary, f"{text} [{summary}]")
