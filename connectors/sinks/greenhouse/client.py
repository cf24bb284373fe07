"""Greenhouse Harvest over HTTP for one connection: v3 (OAuth client credentials with ``sub`` = the user we act
for; the bearer token is cached until it expires and refreshed once on a 401) or legacy v1 (Basic auth with the
API key, the user in ``On-Behalf-Of``). Every call is remembered, without query values, for the attempt's summary."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests

from connectors.sinks.base import SendResult
from connectors.sinks.greenhouse import errors
from core.errors import ConfigurationError

DEFAULT_BASE_URL = "https://harvest.greenhouse.io"
DEFAULT_TOKEN_URL = "https://auth.greenhouse.io/token"  # noqa: S105 - an address, not a credential
VERSIONS = ("v3", "v1")
TOKEN_MARGIN_S = 60.0  # refresh this long before the token's own expiry

_TOKENS: dict[str, tuple[str, float]] = {}  # cache key → (access token, monotonic expiry)
_TOKENS_LOCK = threading.Lock()


class Refused(Exception):
    """Greenhouse answered with an error (or we cannot send at all); ``result`` is the classified outcome."""

    def __init__(self, result: SendResult) -> None:
        super().__init__(result.error)
        self.result = result


class Api:
    def __init__(self, conn: Any, http: requests.Session) -> None:
        settings = conn.settings
        self.http = http
        self.connection = conn.name
        self.settings = settings
        self.version = str(settings.get("api_version") or "v3").strip().lower()
        if self.version not in VERSIONS:
            raise ConfigurationError(f"Connection {conn.name}: api_version must be v3 or v1, not {self.version!r}.")
        self.base = str(settings.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.token_url = str(settings.get("token_url") or DEFAULT_TOKEN_URL)
        self.user_id = str(settings.get("user_id") or "").strip()
        if not self.user_id:
            raise ConfigurationError(
                f"Connection {conn.name} needs the setting user_id: the Greenhouse user id leadhub acts for "
                "(v3: the token's sub; v1: On-Behalf-Of). Find it under Configure → Users in Greenhouse."
            )
        self.timeout = float(settings.get("timeout_s") or 15.0)
        self.secrets = dict(conn.secrets)
        needed = ("client_id", "client_secret") if self.version == "v3" else ("api_key",)
        missing = [name for name in needed if not self.secrets.get(name)]
        if missing:
            raise ConfigurationError(
                f"Connection {conn.name} (Harvest {self.version}) needs the secret(s) {', '.join(missing)}: "
                f"`leadhub connections set-secret {conn.name} {missing[0]}=…`."
            )
        self.steps: list[str] = []
        self.last_status: int | None = None

    # -- calls ---------------------------------------------------------------------------------------------------
    def call(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> requests.Response:
        """One request (``path`` may be a full ``Link`` URL); raises ``requests.RequestException`` on timeouts."""
        response = self._send(method, path, body, params)
        if response.status_code == 401 and self.version == "v3":
            self._forget_token()  # expired or revoked: one fresh token, one more try
            response = self._send(method, path, body, params)
        shown = urlsplit(path).path if path.startswith("http") else path
        keys = sorted(params or {}) or sorted(k for k in _query_keys(path))
        self.steps.append(f"{method} {shown}{'?' + '&'.join(keys) if keys else ''} {response.status_code}")
        self.last_status = response.status_code
        return response

    def expect(self, response: requests.Response, *ok: int) -> Any:
        """The JSON answer when the status is one of ``ok``; otherwise raise ``Refused`` with the reason in words."""
        if response.status_code not in ok:
            raise Refused(errors.failure(response, self))
        try:
            return response.json() if response.content else None
        except ValueError:
            return None

    def summary(self) -> str:
        return "; ".join(self.steps) or "not sent"

    def _send(self, method: str, path: str, body: Any, params: dict[str, Any] | None) -> requests.Response:
        url = path if path.startswith("http") else self.base + path
        headers = {"Accept": "application/json"}
        auth: tuple[str, str] | None = None
        if self.version == "v3":
            headers["Authorization"] = f"Bearer {self._token()}"
        else:
            auth = (self.secrets["api_key"], "")
            headers["On-Behalf-Of"] = self.user_id
        return self.http.request(method, url, json=body, params=params, headers=headers, auth=auth,
                                 timeout=self.timeout, allow_redirects=False)

    # -- the v3 token --------------------------------------------------------------------------------------------
    def _cache_key(self) -> str:
        secret = hashlib.sha256(self.secrets["client_secret"].encode()).hexdigest()
        return json.dumps([self.token_url, self.secrets["client_id"], secret, self.user_id])

    def _token(self) -> str:
        key = self._cache_key()
        with _TOKENS_LOCK:
            cached = _TOKENS.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        response = self.http.post(
            self.token_url,
            data={"grant_type": "client_credentials", "sub": self.user_id},
            auth=(self.secrets["client_id"], self.secrets["client_secret"]),
            headers={"Accept": "application/json"},
            timeout=self.timeout,
        )
        self.steps.append(f"POST {urlsplit(self.token_url).path} {response.status_code}")
        self.last_status = response.status_code
        if response.status_code != 200:
            raise Refused(errors.token_refused(response, self))
        found = response.json()
        lifetime = float(found.get("expires_in") or 3600)
        expires = time.monotonic() + max(lifetime - min(TOKEN_MARGIN_S, lifetime / 2), 0.0)
        with _TOKENS_LOCK:
            _TOKENS[key] = (str(found["access_token"]), expires)
        return str(found["access_token"])

    def _forget_token(self) -> None:
        with _TOKENS_LOCK:
            _TOKENS.pop(self._cache_key(), None)


def _query_keys(url: str) -> list[str]:
    query = urlsplit(url).query
    return [part.split("=", 1)[0] for part in query.split("&") if part]


def mapping(value: Any) -> dict[str, Any]:
    """A setting's mapping, from YAML (a dict) or from ``--setting key='{"a": 1}'`` (JSON text)."""
    if isinstance(value, str) and value.strip():
        value = json.loads(value)
    return {str(k): v for k, v in dict(value or {}).items()}


def listing(value: Any) -> list[Any]:
    """A setting's list, from YAML (a list), JSON text, or ``a,b`` from ``--setting``."""
    if isinstance(value, str):
        text = value.strip()
        return list(json.loads(text)) if text.startswith("[") else [p.strip() for p in text.split(",") if p.strip()]
    if isinstance(value, list | tuple):
        return list(value)
    return [] if value is None else [value]
