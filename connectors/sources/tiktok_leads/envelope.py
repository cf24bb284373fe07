"""TikTok answers HTTP 200 with ``{code, message, request_id, data}``; a non-zero ``code`` is the error."""

from __future__ import annotations

from typing import Any

import requests

from connectors.sources.tiktok_leads.settings import TikTokSettings
from core.errors import AuthExpired, RateLimited, SourceError


def unwrap(response: requests.Response, settings: TikTokSettings) -> dict[str, Any]:
    """The ``data`` of a successful answer; throttling, token and other codes as our typed errors."""
    if response.status_code == 429:
        raise RateLimited("TikTok answered HTTP 429.", settings.rate_limit_wait_s)
    try:
        document = response.json()
    except ValueError:
        raise SourceError(f"TikTok answered HTTP {response.status_code} without its JSON envelope.") from None
    if not isinstance(document, dict) or "code" not in document:
        raise SourceError(f"TikTok answered HTTP {response.status_code} without its JSON envelope.")
    code = int(document["code"])
    if code == 0:
        data = document.get("data")
        return data if isinstance(data, dict) else {}
    message = f"TikTok answered code {code}: {document.get('message')} (request_id {document.get('request_id')})."
    if code in settings.rate_limit_codes:
        raise RateLimited(message, settings.rate_limit_wait_s)
    if code in settings.auth_error_codes:
        raise AuthExpired(message)
    raise SourceError(message)
