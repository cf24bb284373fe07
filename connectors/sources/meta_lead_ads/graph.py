"""Read one lead (and its form) from the Graph API after a webhook; Graph's error envelope → our typed errors."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import requests

from connectors.sources.base import ConnectionLike, base_url
from connectors.sources.meta_lead_ads import record
from core.errors import AuthExpired, RateLimited, SourceError

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_VERSION = "v22.0"
# Throttling: app (4), user (17), page (32), custom (613), business use case (800xx; 80005 = LeadGen).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TOKEN_CODES = frozenset({102, 190})


def root(conn: ConnectionLike) -> str:
    return f"{base_url(conn, DEFAULT_BASE_URL)}/{conn.settings.get('api_version') or DEFAULT_VERSION}"


def get(http: requests.Session, conn: ConnectionLike, node: str, fields: str) -> dict[str, Any]:
    """``GET /{version}/{node}?fields=…`` with the Page token (and ``appsecret_proof`` when the app secret is known)."""
    token = conn.secrets["access_token"]
    params = {"fields": fields}
    if conn.secrets.get("app_secret"):
        params["appsecret_proof"] = hmac.new(
            conn.secrets["app_secret"].encode(), token.encode(), hashlib.sha256
        ).hexdigest()
    try:
        response = http.get(
            f"{root(conn)}/{node}", params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
    except requests.RequestException as exc:
        raise SourceError(f"Meta's Graph API did not answer ({type(exc).__name__}); the notice is retried.") from None
    if response.ok:
        document: dict[str, Any] = response.json()
        return document
    raise error_for(response, float(conn.settings.get("wait_scale") or 1.0))


def fetch_lead(http: requests.Session, conn: ConnectionLike, leadgen_id: str) -> dict[str, Any]:
    """The lead, flattened with its form exactly like the manifest does for pulled leads."""
    lead = get(http, conn, leadgen_id, record.LEAD_FIELDS)
    form = get(http, conn, str(lead["form_id"]), record.FORM_FIELDS) if lead.get("form_id") else {}
    return record.flatten(lead, form)


def error_for(response: requests.Response, wait_scale: float = 1.0) -> SourceError:
    """Throttling → :class:`RateLimited` with Meta's own estimate; token errors → :class:`AuthExpired`."""
    try:
        error = (response.json() or {}).get("error") or {}
    except ValueError:
        error = {}
    code, subcode = error.get("code"), error.get("error_subcode")
    message = f"Meta answered HTTP {response.status_code} (code {code}/{subcode or '-'}): {error.get('message')}"
    if code in RATE_LIMIT_CODES:
        return RateLimited(message, retry_after_s=regain_minutes(response.headers) * 60 * wait_scale)
    if code in TOKEN_CODES:
        return AuthExpired(f"{message} Create a new Page access token and store it on the connection.")
    if code == 100 and subcode == 33:
        return SourceError(
            f"{message} Meta will not show this lead: it was deleted, or the token's user may not read this form's "
            "leads (leads_retrieval and a Page role with lead access)."
        )
    if code == 10 or (isinstance(code, int) and 200 <= code < 300):
        return AuthExpired(f"{message} Grant leads_retrieval and pages_read_engagement, then create a new token.")
    return SourceError(message)


def regain_minutes(headers: Any) -> int:
    """The longest ``estimated_time_to_regain_access`` in ``X-Business-Use-Case-Usage`` (minutes), at least 1."""
    try:
        usage = json.loads(headers.get("X-Business-Use-Case-Usage") or "{}")
    except ValueError:
        return 1
    estimates = [
        int(item.get("estimated_time_to_regain_access") or 0)
        for items in (usage.values() if isinstance(usage, dict) else [])
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict)
    ]
    return max([1, *estimates])
