"""Lever's Data API for one connection: base URL, ``perform_as`` and timeout from its settings, the API key (HTTP
Basic, blank password) from its secrets. A call Lever refuses raises ``Refused`` with the classified outcome."""

from __future__ import annotations

from typing import Any

import requests

from connectors.sinks.base import SendResult
from connectors.sinks.lever import errors

DEFAULT_BASE_URL = "https://api.lever.co"  # EU: https://api.eu.lever.co, sandbox: https://api.sandbox.lever.co


class Refused(Exception):
    """Lever refused one step of a send (or did not answer); ``result`` is what the delivery records."""

    def __init__(self, result: SendResult) -> None:
        super().__init__(result.error)
        self.result = result


class Api:
    def __init__(self, conn: Any, http: requests.Session) -> None:
        self.settings: dict[str, Any] = dict(conn.settings)
        self.connection = str(conn.name)
        self.base = str(self.settings.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.perform_as = str(self.settings.get("perform_as") or "").strip()
        self.timeout = float(self.settings.get("timeout_s") or 15.0)
        self.http = http
        self._auth = (str(conn.secrets.get("api_key") or ""), "")
        self.steps: list[str] = []
        self.wrote = False  # whether a write may have reached Lever in this send

    def summary(self) -> str:
        return " → ".join(self.steps) or "not sent"

    def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        missing_ok: bool = False,
    ) -> dict[str, Any] | None:
        """The answer's JSON; ``None`` for a 404 when ``missing_ok``. Writes act as the ``perform_as`` user."""
        write = method != "GET"
        query = dict(params or {})
        if write:
            query["perform_as"] = self.perform_as
        # the summary is stored with the attempt: it names the step, never the email that was looked up
        self.steps.append(f"{method} {path}" + ("?email=…" if "email" in query else ""))
        try:
            response = self.http.request(method, self.base + path, params=query, json=json, files=files,
                                         auth=self._auth, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise Refused(errors.timeout(exc, self.summary(), self.timeout, self.wrote or write)) from exc
        if missing_ok and response.status_code == 404:
            return None
        if not 200 <= response.status_code < 300:
            raise Refused(errors.failure(response, self.summary(), self.connection))
        self.wrote = self.wrote or write
        return errors.body(response)
