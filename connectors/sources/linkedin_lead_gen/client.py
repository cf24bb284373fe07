"""fetch(): GET one lead form response a notification names, with LinkedIn's headers, waits and token refresh."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests

from connectors.sources.base import ConnectionLike, Notice
from connectors.sources.linkedin_lead_gen import config
from connectors.sources.linkedin_lead_gen.notification import response_id
from core.errors import AuthExpired, RateLimited, SourceError

ATTEMPTS = 4  # the first try and three waits
TIMEOUT_S = 30.0
MAX_WAIT_S = 300.0


def headers(conn: ConnectionLike, token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "LinkedIn-Version": config.version(conn),
        "X-Restli-Protocol-Version": "2.0.0",
    }


def refresh(conn: ConnectionLike, http: requests.Session) -> str:
    """A new access token from the refresh token; a refusal means a person must re-authorise."""
    response = http.post(
        config.token_url(conn),
        data={
            "grant_type": "refresh_token",
            "refresh_token": conn.secrets["refresh_token"],
            "client_id": conn.secrets["client_id"],
            "client_secret": conn.secrets["client_secret"],
        },
        timeout=TIMEOUT_S,
    )
    body = _json(response)
    if response.status_code != 200 or not body.get("access_token"):
        raise AuthExpired(
            f"LinkedIn refused the refresh token ({body.get('error')}: {body.get('error_description')}). "
            "Re-authorise the connection."
        )
    return str(body["access_token"])


def get_lead(
    conn: ConnectionLike, lead_id: str, http: requests.Session, sleep: Callable[[float], None] = time.sleep
) -> dict[str, Any] | None:
    """The projected lead (``None`` when LinkedIn no longer has it); waits out throttling, refreshes once on 401."""
    url = f"{config.api_base(conn)}/rest/leadFormResponses/{quote(lead_id, safe='')}?fields={config.PROJECTION}"
    token, refreshed = conn.secrets.get("access_token", ""), False
    factor = float(conn.settings.get("backoff_factor_s", 5))
    for attempt in range(ATTEMPTS):
        response = http.get(url, headers=headers(conn, token), timeout=TIMEOUT_S)
        body = _json(response)
        if response.status_code == 200:
            return body
        if response.status_code == 404:
            return None
        if response.status_code == 401:
            if config.can_refresh(conn) and not refreshed:
                token, refreshed = refresh(conn, http), True
                continue
            raise AuthExpired(
                f"LinkedIn refused the access token (HTTP 401, serviceErrorCode {body.get('serviceErrorCode')}: "
                f"{body.get('message')}). Re-authorise the connection."
            )
        wait = _wait(response, factor, attempt)
        if response.status_code == 429 or response.status_code >= 500:
            if attempt + 1 < ATTEMPTS:
                sleep(wait)
                continue
            if response.status_code == 429:
                raise RateLimited(f"LinkedIn throttles this app or member: {body.get('message')}", max(wait, 60.0))
        raise SourceError(
            f"LinkedIn answered HTTP {response.status_code} for lead {lead_id}: "
            f"{body.get('code') or ''} {body.get('message') or response.text[:200]}".strip()
        )
    raise SourceError(f"LinkedIn kept failing for lead {lead_id}.")  # pragma: no cover - the loop always returns


def _wait(response: requests.Response, factor: float, attempt: int) -> float:
    """Retry-After when LinkedIn sends it (it documents none), else ``factor * 2**attempt``; capped."""
    header = response.headers.get("Retry-After", "")
    wait = float(header) if header.strip().isdigit() else factor * 2**attempt
    return min(wait, MAX_WAIT_S)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def fetch(conn: ConnectionLike, notice: Notice, http: requests.Session) -> list[dict[str, Any]]:
    """The full lead a CREATED notification names, flattened like a pulled one (nothing if it is gone)."""
    from connectors.sources.linkedin_lead_gen.flatten import flatten

    record = get_lead(conn, response_id(notice.external_id), http)
    return [] if record is None else [flatten(record)]
