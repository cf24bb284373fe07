"""Sandbox fake of Greenhouse Harvest v3 (``POST /token`` + bearer) and legacy v1 (Basic auth, ``On-Behalf-Of``
required on writes), with faults set from Python.

``GreenhouseFake().app()`` serves the OAuth token endpoint, candidates, prospects, applications (create, convert,
update, list by candidate or by update time), attachments, sources and jobs, in both versions' shapes (routes in
``fake_routes``). Like Greenhouse it never deduplicates: a repeated POST makes a second record. Validation answers
422 ``{"message": "Validation error", "errors": [{"message", "field"}]}``; every answer carries
``X-RateLimit-Limit/Remaining`` per 10 s, and 429 carries ``Retry-After`` and ``X-RateLimit-Reset`` (without the
other two, as Greenhouse documents). Time is the fake's own clock (:meth:`advance`). ``fake_webhooks`` signs and
sends the status web hooks.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from connectors.sinks.greenhouse import fake_routes, fake_webhooks
from connectors.sinks.greenhouse.fake_store import Invalid, Org

SANDBOX_CLIENT_ID = "gh-sandbox-client"
SANDBOX_CLIENT_SECRET = "gh-sandbox-secret"  # noqa: S105 - the fake's own credentials
SANDBOX_API_KEY = "a7183e1b7e9ab09b8a5cfa87d1934c3c"  # the docs' example key
SANDBOX_USER_ID = 4080
WINDOW_S = 10.0


class Answer(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, dict(headers or {})


@dataclass
class Fault:
    status: int
    count: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    path: str | None = None  # only requests whose path ends with this


class GreenhouseFake:
    """One Greenhouse organisation as a Harvest credential sees it."""

    def __init__(self, rate_limit: int = 50, token_ttl_s: int = 3600) -> None:
        self.org = Org()
        self.clients = {SANDBOX_CLIENT_ID: SANDBOX_CLIENT_SECRET}
        self.api_keys = {SANDBOX_API_KEY}
        self.tokens: dict[str, tuple[str, int, float]] = {}  # token → client id, user, expiry (fake clock)
        self.token_ttl_s = token_ttl_s
        self.token_requests = 0
        self.rate_limit = rate_limit
        self.denied: set[str] = set()  # "POST /v3/prospects": the credential lacks that permission (403)
        self.truncated_for_s = 0.0  # v1: answer creates with ids only, the candidate 404s for this long
        self.ready_at: dict[int, float] = {}
        self.requests: list[tuple[str, str, Any, dict[str, str]]] = []
        self.faults: list[Fault] = []
        self.delays: list[tuple[float, str | None]] = []
        self.webhooks = fake_webhooks.Emitter(self)
        self._offset = 0.0
        self._outage_until = 0.0
        self._windows: dict[str, list[float]] = {}
        self._lock = threading.RLock()

    # -- control from Python -----------------------------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock on (outages end, tokens expire, the 10 s window rolls) without sleeping."""
        self._offset += seconds

    def fail_next(self, status: int, count: int = 1, headers: dict[str, str] | None = None, body: Any = None,
                  path: str | None = None) -> None:
        """Answer the next ``count`` requests (ending with ``path``) with ``status`` in Greenhouse's envelope."""
        with self._lock:
            self.faults.append(Fault(status, count, dict(headers or {}), body, path))

    def outage(self, seconds: float) -> None:
        """Every request answers 500 until the fake's clock has moved ``seconds`` on."""
        self._outage_until = self.now() + seconds

    def delay_next(self, seconds: float, count: int = 1, path: str | None = None) -> None:
        """The next ``count`` requests (ending with ``path``) are carried out, then answered after ``seconds``."""
        with self._lock:
            self.delays += [(seconds, path)] * count

    def revoke(self, client_id: str = SANDBOX_CLIENT_ID) -> None:
        """The client credentials are deleted in Greenhouse: their tokens stop working, no new ones are issued."""
        self.clients.pop(client_id, None)
        self.tokens = {t: v for t, v in self.tokens.items() if v[0] != client_id}

    def issue(self, client_id: str, client_secret: str) -> None:
        self.clients[client_id] = client_secret

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def move(self, application_id: int | str, stage_name: str) -> None:
        """A recruiter moves an application to the stage of that name (then send ``candidate_stage_change``)."""
        with self._lock:
            self.org.move(int(application_id), stage_name, self.now())

    def hire(self, application_id: int | str) -> None:
        with self._lock:
            self.org.hire(int(application_id), self.now())

    def reject(self, application_id: int | str, reason: str = "Lacking skill(s)/qualification(s)") -> None:
        with self._lock:
            self.org.reject(int(application_id), reason, self.now())

    def people(self) -> list[dict[str, Any]]:
        """Every candidate and prospect, each with its applications (and those with their attachments)."""
        with self._lock:
            return [{**person, "applications": [
                {**a, "attachments": list(self.org.attachments.get(a["id"], []))}
                for a in self.org.applications_of(person["id"])]} for person in self.org.candidates.values()]

    def calls(self, method: str, suffix: str) -> list[Any]:
        """Bodies of the ``method`` requests whose path ends with ``suffix``."""
        return [body for m, path, body, _ in self.requests if m == method and path.endswith(suffix)]

    # -- the HTTP side -------------------------------------------------------------------------------------------
    def app(self) -> Flask:
        app = Flask("greenhouse_fake")
        app.json.sort_keys = False  # type: ignore[attr-defined]
        app.add_url_rule("/token", "token", self._token_view, methods=["POST"])
        for rule, method, handler in fake_routes.routes(self):
            version = rule.split("/")[1]
            app.add_url_rule(rule, f"{method} {rule}", self._view(handler, version), methods=[method])
        return app

    def _view(self, handler: Callable[..., tuple[Any, int, dict[str, str]]], version: str) -> Callable[..., Response]:
        def view(**kwargs: Any) -> Response:
            body = request.get_json(silent=True)
            headers: dict[str, str] = {}
            with self._lock:
                self.requests.append((request.method, request.path, body, {
                    k: v for k, v in request.headers.items() if k in ("Authorization", "On-Behalf-Of")}))
                try:
                    headers.update(self._gate(version))
                    payload, status, extra = handler(body if isinstance(body, dict) else {}, **kwargs)
                    headers.update(extra)
                except Invalid as exc:
                    payload, status = {"message": "Validation error", "errors": exc.errors}, 422
                except Answer as exc:
                    payload, status, headers = exc.body, exc.status, {**headers, **exc.headers}
                delay = self._delay()
            response = jsonify(payload) if payload is not None else Response(status=status)
            response.status_code = status
            response.headers.update(headers)
            if delay:
                time.sleep(delay)  # the work is done; the client just does not hear back in time
            return response

        return view

    def _delay(self) -> float:
        for n, (seconds, path) in enumerate(self.delays):
            if path is None or request.path.endswith(path):
                del self.delays[n]
                return seconds
        return 0.0

    def _gate(self, version: str) -> dict[str, str]:
        """Outage, credentials, On-Behalf-Of, permission, rate limit, injected faults — as the real gateway."""
        if self.now() < self._outage_until:
            raise Answer(500, {"message": "Internal Server Error"})
        credential = self._v3_caller() if version == "v3" else self._v1_caller()
        rule = f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"
        if rule in self.denied:
            raise Answer(403, {"message": f"This API key does not have permission to access {rule}"})
        headers = self._count(credential)
        for fault in self.faults:
            if fault.count > 0 and (fault.path is None or request.path.endswith(fault.path)):
                fault.count -= 1
                self.faults = [f for f in self.faults if f.count > 0]
                raise self._fault(fault)
        return headers

    def _v3_caller(self) -> str:
        header = request.headers.get("Authorization", "")
        found = self.tokens.get(header[7:]) if header.startswith("Bearer ") else None
        if found is None or found[2] <= self.now():
            raise Answer(401, {"error": "invalid_token", "error_description": "The access token is invalid or has "
                               "expired"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return found[0]

    def _v1_caller(self) -> str:
        auth = request.authorization
        if auth is None or auth.type != "basic" or auth.username not in self.api_keys:
            raise Answer(401, {"message": "Invalid Basic Auth credentials"})
        if request.method in ("POST", "PATCH", "PUT", "DELETE"):
            user = request.headers.get("On-Behalf-Of", "")
            if not user.isdigit() or int(user) not in self.org.users:
                # [UNCONFIRMED] the real status; Greenhouse documents the header as required for auditing
                raise Answer(422, {"message": "Validation error", "errors": [
                    {"message": "Must be the id of a Greenhouse user", "field": "On-Behalf-Of"}]})
        return str(auth.username)

    def _count(self, credential: str) -> dict[str, str]:
        now = self.now()
        window = [t for t in self._windows.get(credential, []) if t > now - WINDOW_S]
        if len(window) >= self.rate_limit:
            reset = window[0] + WINDOW_S
            self._windows[credential] = window
            raise Answer(429, {"message": "API rate limit exceeded"},
                         {"Retry-After": str(max(1, int(reset - now + 0.999))), "X-RateLimit-Reset": str(int(reset))})
        window.append(now)
        self._windows[credential] = window
        return {"X-RateLimit-Limit": str(self.rate_limit), "X-RateLimit-Remaining": str(self.rate_limit - len(window))}

    @staticmethod
    def _fault(fault: Fault) -> Answer:
        defaults = {401: {"message": "Invalid Basic Auth credentials"}, 403: {"message": "Forbidden"},
                    404: {"message": "Resource not found"}, 429: {"message": "API rate limit exceeded"},
                    422: {"message": "Validation error", "errors": [{"message": "sandbox fault", "field": "base"}]}}
        body = fault.body if fault.body is not None else defaults.get(fault.status, {"message": "Internal Server "
                                                                                                "Error"})
        return Answer(fault.status, body, fault.headers)

    # -- OAuth client credentials -------------------------------------------------------------------------------
    def _token_view(self) -> Response:
        with self._lock:
            self.token_requests += 1
            self.requests.append(("POST", "/token", dict(request.form), {}))
            try:
                if self.now() < self._outage_until:
                    raise Answer(500, {"error": "server_error"})
                for fault in self.faults:
                    if fault.count > 0 and fault.path == "/token":
                        fault.count -= 1
                        self.faults = [f for f in self.faults if f.count > 0]
                        raise self._fault(fault)
                payload, status = self._grant(), 200
                headers: dict[str, str] = {"Cache-Control": "no-store"}
            except Answer as exc:
                payload, status, headers = exc.body, exc.status, exc.headers
        response = jsonify(payload)
        response.status_code = status
        response.headers.update(headers)
        return response

    def _grant(self) -> dict[str, Any]:
        auth = request.authorization
        if auth is None or self.clients.get(str(auth.username)) != auth.password or not auth.password:
            raise Answer(401, {"error": "invalid_client", "error_description": "Client authentication failed"},
                         {"WWW-Authenticate": 'Basic realm="greenhouse"'})
        if request.form.get("grant_type") != "client_credentials":
            raise Answer(400, {"error": "unsupported_grant_type",
                               "error_description": "grant_type must be client_credentials"})
        sub = request.form.get("sub", "")
        if not sub.isdigit() or int(sub) not in self.org.users:
            raise Answer(400, {"error": "invalid_request", "error_description": "sub must be a Greenhouse user id"})
        claims = {"sub": sub, "client_id": auth.username, "exp": int(self.now() + self.token_ttl_s)}
        token = ".".join(base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
                         for part in ({"alg": "RS256", "typ": "JWT"}, claims)) + "." + secrets.token_urlsafe(24)
        self.tokens[token] = (str(auth.username), int(sub), self.now() + self.token_ttl_s)
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl_s}
