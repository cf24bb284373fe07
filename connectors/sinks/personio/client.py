"""Personio for one connection. Writes go to the Recruiting API v1 with the Recruiting API token as bearer and
``X-Company-ID`` (plus the optional partner/app headers); reads — finding an application's id, polling
stages — go to the v2 Recruiting API with an OAuth2 client-credentials token (``personio:recruiting:read``)."""

from __future__ import annotations

from typing import Any

import requests

from connectors.sinks.base import SendResult
from connectors.sinks.personio import errors

DEFAULT_BASE_URL = "https://api.personio.de"


class Refused(Exception):
    def __init__(self, result: SendResult, response: requests.Response | None = None) -> None:
        super().__init__(result.error)
        self.result, self.response = result, response


class Api:
    def __init__(self, conn: Any, http: requests.Session) -> None:
        self.settings: dict[str, Any] = dict(conn.settings)
        self.secrets: dict[str, str] = dict(conn.secrets)
        self.connection = str(conn.name)
        self.base = str(self.settings.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = float(self.settings.get("timeout_s") or 15.0)
        self.company = str(self.settings.get("company_id") or self.secrets.get("company_id") or "").strip()
        self.http = http
        self.steps: list[str] = []
        self._v2_token: str | None = None

    @property
    def can_read(self) -> bool:
        """Whether v2 read credentials are stored (needed to learn application ids and to poll stages)."""
        return bool(self.secrets.get("client_id") and self.secrets.get("client_secret"))

    def summary(self) -> str:
        return " → ".join(self.steps) or "not sent"

    def headers(self) -> dict[str, str]:
        found = {"Authorization": f"Bearer {self.secrets.get('access_token', '')}", "X-Company-ID": self.company,
                 "Accept": "application/json"}
        for setting, header in (("partner_id", "X-Personio-Partner-ID"), ("app_id", "X-Personio-App-ID")):
            value = self.settings.get(setting, "LEADHUB" if setting == "app_id" else None)
            if value:
                found[header] = str(value)
        return found

    def write(self, path: str, json: Any = None, files: Any = None) -> requests.Response:
        """One v1 call; the response whatever its status (the caller reads the duplicate answer)."""
        self.steps.append(f"POST {path}")
        try:
            return self.http.post(self.base + path, json=json, files=files, headers=self.headers(),
                                  timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise Refused(errors.timeout(exc, self.summary(), self.timeout)) from exc

    def read(self, path_or_url: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """One v2 GET (a path, or a ``_meta.links.next.href`` on the same host)."""
        url = path_or_url if path_or_url.startswith(self.base + "/") else self.base + path_or_url
        self.steps.append("GET " + url[len(self.base):].split("?")[0] + ("?email=…" if params and "email" in params
                                                                          else ""))
        headers = {"Authorization": f"Bearer {self._token()}", "Accept": "application/json"}
        try:
            response = self.http.get(url, params=params, headers=headers, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise Refused(errors.timeout(exc, self.summary(), self.timeout)) from exc
        if response.status_code != 200:
            raise Refused(errors.failure(response, self.summary(), self.connection), response)
        return errors.body(response)

    def _token(self) -> str:
        if self._v2_token is None:
            self.steps.append("POST /v2/auth/token")
            form = {"grant_type": "client_credentials", "client_id": self.secrets.get("client_id", ""),
                    "client_secret": self.secrets.get("client_secret", "")}
            try:
                response = self.http.post(self.base + "/v2/auth/token", data=form, timeout=self.timeout,
                                          headers={"Accept": "application/json"}, allow_redirects=False)
            except requests.RequestException as exc:
                raise Refused(errors.timeout(exc, self.summary(), self.timeout)) from exc
            if response.status_code != 200:
                result = errors.failure(response, self.summary(), self.connection)
                text = (f"Personio refused the v2 client credentials (HTTP {response.status_code}); create an API "
                        "credential with the scope personio:recruiting:read and store client_id and client_secret "
                        f"with `leadhub connections set-secret {self.connection} …`.")
                raise Refused(SendResult(result.outcome, result.status_code, result.excerpt, result.request_summary,
                                         text, result.retry_after), response)
            self._v2_token = str(errors.body(response).get("access_token") or "")
        return self._v2_token
