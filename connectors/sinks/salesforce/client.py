"""Salesforce over HTTP for one connection: the instance URL and API version from its settings, the bearer
access token from its secrets, one timeout, and the duplicate-rule header when the connection allows saving."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import requests

DEFAULT_VERSION = "v62.0"
DEFAULT_EXTERNAL_ID = "LeadHub_Person_Id__c"


class Api:
    def __init__(self, conn: Any, http: requests.Session) -> None:
        settings = conn.settings
        self.http = http
        self.connection = conn.name
        self.settings = settings
        self.base = str(settings.get("base_url") or "").rstrip("/")
        self.version = str(settings.get("api_version") or DEFAULT_VERSION)
        self.external_id = str(settings.get("external_id_field") or DEFAULT_EXTERNAL_ID)
        self.timeout = float(settings.get("timeout_s") or 15.0)
        self.limit_wait_s = float(settings.get("limit_wait_s") or 3600.0)
        self._headers = {"Authorization": f"Bearer {conn.secrets['access_token']}", "Accept": "application/json"}
        if flag(settings.get("allow_duplicates")):
            self._headers["Sforce-Duplicate-Rule-Header"] = "allowSave=true"

    def lead_path(self, *parts: str) -> str:
        tail = "".join("/" + quote(p, safe="") for p in parts)
        return f"/services/data/{self.version}/sobjects/Lead{tail}"

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


def mapping(value: Any) -> dict[str, Any]:
    """A setting's mapping, from YAML (a dict) or from ``--setting key='{"a": "b"}'`` (JSON text)."""
    if isinstance(value, str) and value.strip():
        value = json.loads(value)
    return dict(value or {})
