"""Sandbox fake of LinkedIn's Lead Sync API (``/rest/leadForms``, ``/rest/leadFormResponses``, OAuth refresh).

As strict as the platform (docs/connectors/linkedin_lead_gen.md lists what is confirmed upstream): both version
headers are required and old versions are refused, Rest.li 2.0 tuples are parsed from the raw query string,
``start``/``count`` paging reports ``paging.total``, ``fields`` projections decide what comes back (the
``form:(…)`` decoration only when asked for), and errors use LinkedIn's ``{status, serviceErrorCode, code,
message}`` envelope. Faults are injected from Python: ``fake.fail_next("throttle_app", 2)``.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

from connectors.sources.linkedin_lead_gen import fake_emitter, fake_seed, restli
from connectors.sources.linkedin_lead_gen.signature import DEFAULT_PREFIX

FIXTURES = Path(__file__).parent / "fixtures"
FAULTS = {
    "throttle_app": (429, "error_429_application.json"),
    "throttle_member": (429, "error_429_member.json"),
    "token_invalid": (401, "error_401_65600.json"),
    "token_revoked": (401, "error_401_65601.json"),
    "token_expired": (401, "error_401_expired.json"),
    "server_error": (500, "error_500.json"),
}


def envelope(name: str, **values: Any) -> dict[str, Any]:
    """An error body from ``fixtures/``, with ``{placeholders}`` in its message filled in."""
    document: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    document["message"] = document["message"].format(**values)
    return document


def active_versions(today: date) -> set[str]:
    """The twelve monthly versions up to ``today``: LinkedIn sunsets a version about a year after release."""
    months = [(today.year * 12 + today.month - 1 - back) for back in range(12)]
    return {f"{m // 12:04d}{m % 12 + 1:02d}" for m in months}


@dataclass
class Fault:
    kind: str
    remaining: int
    retry_after: int | None = None


@dataclass
class FakeLinkedIn:
    """State of one sandboxed LinkedIn: forms, leads, tokens, injected faults, and what was asked of it."""

    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    seed: int = 7
    client_id: str = "fake-client-id"
    client_secret: str = "fake-client-secret"  # noqa: S105 - the sandbox's invented app credentials
    refresh_token: str = "fake-refresh-token"  # noqa: S105
    tokens: dict[str, str] = field(default_factory=lambda: {"fake-access-token": "active"})
    forms: list[dict[str, Any]] = field(default_factory=fake_seed.forms)
    leads: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    refreshes: int = 0
    webhooks: dict[str, fake_emitter.Endpoint] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()

    # --- driving the fake from tests and the demo ---------------------------------------------------------
    def add_leads(
        self,
        n: int,
        at_ms: int,
        step_ms: int = 60_000,
        form_id: int = 7430001,
        version: int | None = None,
        test: bool = False,
    ) -> list[dict[str, Any]]:
        """Append ``n`` leads submitted from ``at_ms`` on (one per ``step_ms``) to a form version (default newest)."""
        form = self.form(form_id, version)
        with self._lock:
            start = len(self.leads)
            new = [fake_seed.lead(start + i, form, at_ms + i * step_ms, self._rng, test) for i in range(n)]
            self.leads.extend(new)
        return new

    def delete_lead(self, lead_id: str) -> None:
        with self._lock:
            self.leads = [lead for lead in self.leads if lead["id"] != lead_id]

    def form(self, form_id: int, version: int | None = None) -> dict[str, Any]:
        versions = [f for f in self.forms if f["id"] == form_id and version in (None, f["versionId"])]
        return max(versions, key=lambda f: f["versionId"])

    def fail_next(self, kind: str, count: int = 1, retry_after: int | None = None) -> None:
        """The next ``count`` API calls fail as ``kind`` (see ``FAULTS``); ``retry_after`` adds that header."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(FAULTS)}")
        with self._lock:
            self._faults.append(Fault(kind, count, retry_after))

    def expire(self, token: str, how: str = "expired") -> None:
        """Make an access token expired (``expired``) or revoked by the member (``revoked``)."""
        self.tokens[token] = how

    def app(self) -> Flask:
        return create_app(self)

    # --- lead notifications -----------------------------------------------------------------------------------
    def subscribe(self, url: str) -> bool:
        """``POST /rest/leadNotifications`` for ``url``: LinkedIn validates the endpoint before any push."""
        endpoint = self.webhooks.setdefault(url, fake_emitter.Endpoint(url))
        return fake_emitter.validate(endpoint, self.client_secret)

    def revalidate(self, url: str) -> bool:
        """One periodic re-validation (every 2 hours upstream); three failures in a row block the endpoint."""
        return fake_emitter.validate(self.webhooks[url], self.client_secret)

    def notify(
        self,
        url: str,
        lead_id: str,
        action: str = "CREATED",
        copies: int = 1,
        prefix: str = DEFAULT_PREFIX,
        signature: str | None = None,
    ) -> list[fake_emitter.Delivery]:
        """Push ``LEAD_ACTION`` for one lead to a subscribed endpoint, ``copies`` times, signed with ``prefix``."""
        lead = next((lead for lead in self.leads if lead["id"] == lead_id), None)
        form_urn = lead["versionedLeadGenFormUrn"] if lead else None
        body = fake_emitter.lead_action(lead_id, action, form_urn)
        endpoint = self.webhooks.get(url) or fake_emitter.Endpoint(url)
        return fake_emitter.deliver(endpoint, body, self.client_secret, prefix, copies, signature)

    # --- request handling -----------------------------------------------------------------------------------
    def take_fault(self) -> Fault | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.popleft()
            return fault

    def issue_token(self) -> str:
        token = "AQ" + secrets.token_urlsafe(24)
        self.tokens[token] = "active"
        self.refreshes += 1
        return token


def _json(document: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(document, ensure_ascii=False), status=status, mimetype="application/json")
    response.headers["X-RestLi-Protocol-Version"] = "2.0.0"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _error(name: str, status: int, **values: Any) -> Response:
    return _json(envelope(name, **values), status)


def _gatekeeper(fake: FakeLinkedIn) -> Response | None:
    """What LinkedIn checks before any resource: injected faults, version headers, then the bearer token."""
    fake.requests.append(request.full_path)
    fault = fake.take_fault()
    if fault is not None:
        status, name = FAULTS[fault.kind]
        response = _error(name, status)
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response
    version = request.headers.get("LinkedIn-Version")
    if not version:
        return _error("error_400_version_missing.json", 400)
    if version not in active_versions(fake.today):
        return _error("error_426_nonexistent_version.json", 426, version=version)
    if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
        return _error("error_400_restli_protocol.json", 400)
    auth = request.headers.get("Authorization", "")
    token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
    state = fake.tokens.get(token)
    if state == "active":
        return None
    if state == "expired":
        return _error("error_401_expired.json", 401)
    if state == "revoked":
        return _error("error_401_65601.json", 401)
    return _error("error_401_65600.json", 401)


def create_app(fake: FakeLinkedIn) -> Flask:
    """The fake as a Flask app; routes live in ``fake_routes`` (one module per job)."""
    from connectors.sources.linkedin_lead_gen import fake_routes

    app = Flask("fake_linkedin")

    @app.before_request
    def gate() -> Response | None:
        if request.path.startswith("/rest/"):
            return _gatekeeper(fake)
        return None

    fake_routes.register(app, fake)
    return app


def parse_query() -> dict[str, Any]:
    """The raw query string parsed as Rest.li 2.0 (``fields`` is a projection, parsed where it is used)."""
    raw = restli.query_params(request.query_string.decode())
    return {key: restli.parse(value) for key, value in raw.items() if key != "fields"}


def bad_request(message: str) -> Response:
    return _error("error_400_illegal_argument.json", 400, detail=message)


def json_response(document: Any, status: int = 200) -> Response:
    return _json(document, status)
