"""Greenhouse's answers read in words — the 422 ``errors`` array (``field``: ``message``), OAuth token errors — and
classified: 429 waits for ``Retry-After`` (or ``X-RateLimit-Reset``), 401/403 ask for new credentials."""

from __future__ import annotations

import time
from typing import Any

import requests

from connectors.sinks.base import SendResult, classify_status, excerpt


def body(response: requests.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def words(response: requests.Response) -> str:
    """``source_id: Source 999 does not exist; first_name: can't be blank`` — or the message, or the raw text."""
    found = body(response)
    parts = []
    for error in found.get("errors") or []:
        if isinstance(error, dict):
            field = error.get("field")
            parts.append(f"{field}: {error.get('message')}" if field else str(error.get("message")))
        else:
            parts.append(str(error))
    if parts:
        return "; ".join(parts)
    if found.get("message") or found.get("error"):
        text = str(found.get("message") or found.get("error"))
        return f"{text} ({found['error_description']})" if found.get("error_description") else text
    return response.text[:200].strip() or f"HTTP {response.status_code}"


def retry_after(response: requests.Response, now: float | None = None) -> str | None:
    """Seconds to wait: ``Retry-After``, else the distance to ``X-RateLimit-Reset`` (a Unix time, or seconds)."""
    header = response.headers.get("Retry-After")
    if header:
        return header.strip()
    reset = response.headers.get("X-RateLimit-Reset")
    try:
        value = float(reset) if reset else None
    except ValueError:
        return None
    if value is None:
        return None
    if value > 1_000_000_000:  # an epoch timestamp
        value -= now if now is not None else time.time()
    return str(max(1, int(value + 0.999)))


def failure(response: requests.Response, api: Any) -> SendResult:
    """A refused Harvest call, classified the Greenhouse way."""
    status = response.status_code
    outcome, wait = classify_status(status), None
    text = f"Greenhouse refused it (HTTP {status}): {words(response)}"
    if status == 422:
        text = f"Greenhouse refused it: {words(response)}"
    elif status == 429:
        outcome, wait = "transient", retry_after(response)
        text = "Greenhouse rate limit reached (HTTP 429); " + (f"waiting {wait} s." if wait else "retrying later.")
    elif status == 401:
        text = _unauthorised(api, words(response))
    elif status == 403:
        outcome = "auth"
        text = (f"Greenhouse denies this credential ({words(response)}). In Configure → Dev Center → API Credential "
                "Management, allow it to read and write candidates, prospects, applications and attachments.")
    elif status == 404:
        outcome = "permanent"
        text = f"Greenhouse does not know the record (HTTP 404): {words(response)}"
    elif outcome == "transient":
        text = f"Greenhouse failed (HTTP {status}): {words(response)}"
    return SendResult(outcome, status, excerpt(response), api.summary(), f"{text} [{api.summary()}]", wait)


def token_refused(response: requests.Response, api: Any) -> SendResult:
    """The token endpoint said no: wrong or revoked client credentials, or a ``sub`` that is no user."""
    if response.status_code == 429:
        return failure(response, api)
    if response.status_code >= 500:
        return SendResult("transient", response.status_code, excerpt(response), api.summary(),
                          f"Greenhouse's token endpoint failed (HTTP {response.status_code}). [{api.summary()}]")
    detail = words(response)
    if body(response).get("error") == "invalid_client" or response.status_code == 401:
        text = _unauthorised(api, detail)
    else:
        text = (f"Greenhouse refused a token for user {api.user_id} ({detail}). Check the connection setting user_id "
                "(a Greenhouse user id that may act through the API).")
    return SendResult("auth", response.status_code, excerpt(response), api.summary(), f"{text} [{api.summary()}]")


def _unauthorised(api: Any, detail: str) -> str:
    if api.version == "v1":
        return (f"Greenhouse refused the Harvest API key ({detail}). Create a key in Configure → Dev Center → API "
                f"Credential Management and store it: `leadhub connections set-secret {api.connection} api_key=…`.")
    return (f"Greenhouse refused the OAuth client credentials ({detail}). Create new ones in Configure → Dev Center → "
            f"API Credential Management (Harvest v3) and store them: `leadhub connections set-secret "
            f"{api.connection} client_id=… client_secret=…`.")


def timeout(exc: requests.RequestException, api: Any) -> SendResult:
    kind = "did not answer within" if isinstance(exc, requests.Timeout) else "could not be reached in"
    text = (f"Greenhouse {kind} {api.timeout:g} s ({type(exc).__name__}). The record may have been created; the "
            "retry looks the person and the application up first, so it will not be doubled.")
    return SendResult("transient", None, None, api.summary(), f"{text} [{api.summary()}]")
