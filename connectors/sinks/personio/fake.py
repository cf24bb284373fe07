"""Sandbox fake of Personio's Recruiting API, with faults set from Python.

v1 (writes, Recruiting API token as bearer + ``X-Company-ID``, 401 otherwise): ``POST
/v1/recruiting/applications/documents`` (multipart ``file``, 20 MB → 413, other types → 422, answers the
``uuid``) and ``POST /v1/recruiting/applications`` (201 without a body; field errors; the same email for the same
job position → ``errors.applicant-already-exists``). Both share Personio's limit: 20 calls in 60 s per company,
then 429 for 60 s, no ``Retry-After``. v2 (reads): ``POST /v2/auth/token`` (client credentials), ``GET
/v2/recruiting/candidates?email=``, ``GET /v2/recruiting/applications`` (``candidate.id``, ``updated_at.gt``,
``limit``/``cursor``, ``_data`` + ``_meta.links.next.href``) and ``GET /v2/recruiting/applications/{id}``.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, jsonify, request

from connectors.sinks.fakes import FaultyFake
from connectors.sinks.personio.fake_store import Company, PersonioError, generic, iso

SANDBOX_TOKEN = "personio-sandbox-recruiting-token"  # noqa: S105 - the fake's own token, not a credential
COMPANY_ID = "41302"
CLIENT_ID, CLIENT_SECRET = "papi-sandbox-client", "papi-sandbox-secret"  # the fake's own v2 credentials
DEFAULT_DETAILS = {
    401: ("Unauthorized", "The API token and/or company id was not recognized."),
    403: ("Forbidden", "feature.public-api.disabled"),
    429: ("Too Many Requests", "You have exceeded the rate-limit for your API call."),
    500: ("Internal Server Error", "Something went wrong, please try again later!"),
    503: ("Service Unavailable", "Service Unavailable"),
}


def v2_error(status: int, title: str, details: str) -> dict[str, Any]:
    return {"timestamp": iso(datetime.now(UTC)), "trace_id": str(uuid.uuid4()),
            "errors": [{"title": title, "details": details,
                        "type": f"https://developer.personio.de/reference/errors#{title.lower().replace(' ', '_')}"}]}


class PersonioFake(FaultyFake):
    """One Personio company as its Recruiting API token (and a v2 client) see it."""

    def __init__(self, token: str = SANDBOX_TOKEN, company_id: str = COMPANY_ID, limit: int = 20) -> None:
        super().__init__()
        self.company = Company()
        self.company_id = company_id
        self.tokens = {token}
        self.clients = {CLIENT_ID: CLIENT_SECRET}
        self.v2_tokens: set[str] = set()
        self.limit, self.window_s = limit, 60.0
        self.api_enabled = True
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []  # method, path, headers, JSON body
        self.queries: list[tuple[str, dict[str, str]]] = []  # path, query arguments
        self._calls: list[float] = []
        self._cursors: dict[str, tuple[list[dict[str, Any]], int, int]] = {}
        self._blocked_until = 0.0

    # -- control from Python (faults hit v1 calls, outages answer 500, delays: connectors/sinks/fakes.py) -------
    def delay_matches(self, line: str, wanted: str) -> bool:
        """A delay names one call exactly (``POST /v1/recruiting/applications`` is not the documents upload)."""
        return wanted in ("", line)

    def revoke(self, token: str = SANDBOX_TOKEN) -> None:
        self.tokens.discard(token)

    def move(self, application_id: str, phase_id: str | int, seconds_later: float = 1.0) -> None:
        """A recruiter moves the application to a system phase (a name) or a custom phase (an int)."""
        application = self.company.applications[application_id]
        if isinstance(phase_id, int):
            application["stage"] = {"id": str(phase_id), "type": "custom",
                                    "name": self.company.custom_phases.get(phase_id, "")}
        else:
            application["stage"] = {"id": phase_id, "type": "system", "name": phase_id.title()}
        application["updated_at"] = iso(datetime.fromtimestamp(self.now() + seconds_later, UTC))

    def applications(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(a) for a in self.company.applications.values()]

    def writes(self) -> list[str]:
        """The v1 calls, in order (the ones that count against the limit and change data)."""
        return [f"{method} {path}" for method, path, _, _ in self.requests if path.startswith("/v1/")]

    # -- the API -------------------------------------------------------------------------------------------------
    def app(self) -> Flask:
        app = Flask("personio_fake")
        app.json.sort_keys = False  # type: ignore[attr-defined]
        v1: list[tuple[str, Callable[..., tuple[Any, int]]]] = [
            ("/v1/recruiting/applications/documents", self._upload),
            ("/v1/recruiting/applications", self._apply),
        ]
        for rule, handler in v1:
            app.add_url_rule(rule, rule, self._view(handler, self._gate_v1), methods=["POST"])
        v2: list[tuple[str, Callable[..., tuple[Any, int]]]] = [
            ("/v2/recruiting/candidates", self._candidates),
            ("/v2/recruiting/applications", self._list),
            ("/v2/recruiting/applications/<application_id>", self._read),
        ]
        for rule, handler in v2:
            app.add_url_rule(rule, rule, self._view(handler, self._gate_v2), methods=["GET"])
        app.add_url_rule("/v2/auth/token", "token", self._view(self._token, self._gate_outage), methods=["POST"])
        return app

    def _view(self, handler: Callable[..., tuple[Any, int]], gate: Callable[[], None]) -> Callable[..., Response]:
        def view(**kwargs: Any) -> Response:
            headers: dict[str, str] = {}
            with self._lock:
                self.requests.append((request.method, request.path, dict(request.headers),
                                      request.get_json(silent=True)))
                self.queries.append((request.path, dict(request.args)))
                try:
                    gate()
                    payload, status = handler(**kwargs)
                except PersonioError as exc:
                    payload, status, headers = exc.body, exc.status, exc.headers
                delay = self.take_delay(f"{request.method} {request.path}")
            response = jsonify(payload) if payload is not None else Response(status=status)
            response.status_code = status
            response.headers.update(headers)
            if delay:
                time.sleep(delay)  # the work is done; the answer comes too late for the client
            return response

        return view

    def _gate_outage(self) -> None:
        if self.in_outage():
            raise PersonioError(500, generic(500, *DEFAULT_DETAILS[500]))

    def _gate_v1(self) -> None:
        self._gate_outage()
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or header[7:] not in self.tokens or \
                request.headers.get("X-Company-ID") != self.company_id:
            raise PersonioError(401, generic(401, *DEFAULT_DETAILS[401]))
        if not self.api_enabled:
            raise PersonioError(403, generic(403, *DEFAULT_DETAILS[403]))
        now = self.now()
        self._calls = [t for t in self._calls if now - t < self.window_s]
        if now >= self._blocked_until and len(self._calls) >= self.limit:
            self._blocked_until = now + self.window_s  # "you will need to wait 60 seconds"
        if now < self._blocked_until:
            raise PersonioError(429, generic(429, *DEFAULT_DETAILS[429]))
        self._calls.append(now)
        fault = self.take_fault()
        if fault is not None:
            title, detail = DEFAULT_DETAILS.get(fault.status, ("Bad Request", f"fault {fault.status}"))
            raise PersonioError(fault.status, fault.body or generic(fault.status, title, detail), fault.headers)

    def _gate_v2(self) -> None:
        self._gate_outage()
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or header[7:] not in self.v2_tokens:
            raise PersonioError(401, v2_error(401, "Unauthorized", "The access token is missing or invalid."))

    # -- v1 ------------------------------------------------------------------------------------------------------
    def _upload(self) -> tuple[Any, int]:
        upload = request.files.get("file")
        if upload is None:
            raise PersonioError(422, {"errors": [{"field": "file", "errors": [
                {"reason": "errors.attribute-validation.required-attribute", "context": {}}]}]})
        return self.company.upload(upload.filename or "", upload.read()), 200

    def _apply(self) -> tuple[Any, int]:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise PersonioError(400, generic(400, "Bad Request", "The request body must be a JSON object."))
        today = datetime.fromtimestamp(self.now(), UTC).date()
        self.company.apply(body, today, datetime.fromtimestamp(self.now(), UTC))
        return None, 201

    # -- v2 ------------------------------------------------------------------------------------------------------
    def _token(self) -> tuple[Any, int]:
        form = request.form
        if form.get("grant_type") != "client_credentials" or not form.get("client_secret") or \
                self.clients.get(form.get("client_id", "")) != form.get("client_secret"):
            raise PersonioError(401, v2_error(401, "Invalid credentials", "The credentials were not correct. Make "
                                              "sure you are providing the right client_id and client_secret."))
        token = "papi-" + secrets.token_urlsafe(24)
        self.v2_tokens.add(token)
        return {"access_token": token, "token_type": "Bearer", "expires_in": 86400,
                "scope": "personio:recruiting:read"}, 200

    def _page(self, select: Callable[[], list[dict[str, Any]]]) -> tuple[Any, int]:
        """``limit`` 1 to 200 and an opaque ``cursor`` that carries the filters, so it must come alone."""
        args = request.args
        cursor = args.get("cursor")
        if cursor:
            if len(args) > 1:
                raise PersonioError(400, v2_error(400, "Invalid request", "cursor cannot be combined with filters"))
            if cursor not in self._cursors:
                raise PersonioError(400, v2_error(400, "Invalid request", "The cursor is invalid or expired."))
            items, start, size = self._cursors.pop(cursor)
        else:
            items, start, size = select(), 0, int(args.get("limit", 100))
        if not 1 <= size <= 200:
            raise PersonioError(400, v2_error(400, "Invalid request", "limit must be between 1 and 200"))
        links: dict[str, Any] = {"self": {"href": request.url}}
        if start + size < len(items):
            token = "cur_" + secrets.token_urlsafe(16)
            self._cursors[token] = (items, start + size, size)
            links["next"] = {"href": f"{request.base_url}?cursor={token}"}
        return {"_data": items[start:start + size], "_meta": {"links": links}}, 200

    def _candidates(self) -> tuple[Any, int]:
        def select() -> list[dict[str, Any]]:
            email = request.args.get("email")
            found = [c for e, c in self.company.candidates.items() if email is None or e == email.strip().lower()]
            return sorted(found, key=lambda c: c["updated_at"], reverse=True)

        return self._page(select)

    def _list(self) -> tuple[Any, int]:
        return self._page(self._select_applications)

    def _select_applications(self) -> list[dict[str, Any]]:
        args = request.args
        found = [self.company.public(a) for a in self.company.applications.values()]
        if args.get("candidate.id"):
            found = [a for a in found if a["candidate"]["id"] == args["candidate.id"]]
        if args.get("updated_at.gt"):
            since = datetime.fromisoformat(args["updated_at.gt"].replace("Z", "+00:00"))
            found = [a for a in found if datetime.fromisoformat(a["updated_at"].replace("Z", "+00:00")) > since]
        return sorted(found, key=lambda a: a["updated_at"], reverse=True)

    def _read(self, application_id: str) -> tuple[Any, int]:
        found = self.company.applications.get(application_id)
        if found is None:
            raise PersonioError(404, v2_error(404, "Not found", f"Application {application_id} does not exist."))
        return self.company.public(found), 200
