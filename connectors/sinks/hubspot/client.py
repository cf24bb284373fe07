"""HubSpot over HTTP for one connection: base URL and API version from its settings, the bearer token from its
secrets, one timeout for every call."""

from __future__ import annotations

from typing import Any

import requests

DEFAULT_BASE_URL = "https://api.hubapi.com"


class Api:
    def __init__(self, conn: Any, http: requests.Session) -> None:
        settings = conn.settings
        self.http = http
        self.connection = conn.name
        self.base = str(settings.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        version = str(settings.get("api_version") or "v3")
        # legacy /crm/v3/... or the date-versioned /crm/objects/2026-03/... (same bodies)
        self.objects = "/crm/v3/objects/contacts" if version == "v3" else f"/crm/objects/{version}/contacts"
        self.properties = "/crm/v3/properties/contacts" if version == "v3" else f"/crm/properties/{version}/contacts"
        self.timeout = float(settings.get("timeout_s") or 15.0)
        self.timezone = str(settings.get("portal_timezone") or "UTC")
        self.id_property = str(settings.get("id_property") or "email")
        self.settings = settings
        self._headers = {"Authorization": f"Bearer {conn.secrets['access_token']}", "Accept": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        """Raises ``requests.RequestException`` on timeouts and refused connections."""
        return self.http.request(method, self.base + path, json=body, headers=self._headers, timeout=self.timeout,
                                 allow_redirects=False)


def flag(value: Any, default: bool = False) -> bool:
    """A setting's yes/no, whether it came from YAML (a bool) or from ``--setting key=false`` (a string)."""
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off")
    return bool(value)
