"""Sandbox fake of Lever's Data API (``/v1``) for opportunities, with faults set from Python.

``LeverFake().app()`` serves ``POST /v1/opportunities`` (a new opportunity every time, the contact merged by
email), ``GET /v1/opportunities?email=`` (``limit``/``offset``, ``hasNext``/``next``), ``GET
/v1/opportunities/{id}``, ``addTags``/``addSources``/``addLinks``, ``PUT …/stage`` and ``…/archived``, notes,
files (multipart, 30 MB), users, stages and archive reasons. HTTP Basic with the API key and a blank password;
``perform_as`` on every write; a token bucket of 10 requests/s with bursts of 20 answers 429. ``webhook()``
builds the signed status webhooks Lever would send.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, request

from connectors.sinks.fakes import FaultyFake
from connectors.sinks.lever.fake_store import Account, LeverError, ms, page

SANDBOX_KEY = "lever-sandbox-api-key"  # the fake's own key, not a credential
SIGNATURE_TOKEN = "lever-sandbox-signature-token"  # noqa: S105 - the fake's own webhook signing token
DEFAULT_BODIES = {
    401: ("UnauthorizedError", "Invalid API key"),
    403: ("ForbiddenError", "This API key does not have access to this endpoint"),
    429: ("TooManyRequestsError", "Too many requests, please slow down"),
    500: ("InternalServerError", "An unexpected error occurred"),
    503: ("ServiceUnavailableError", "Service temporarily unavailable"),
}


class LeverFake(FaultyFake):
    """One Lever account as an API key sees it; ``perform_as`` is the fake's first user."""

    def __init__(self, key: str = SANDBOX_KEY, rate: float = 10.0, burst: float = 20.0) -> None:
        super().__init__()
        self.account = Account()
        self.perform_as = self.account.add_user("Rita Recruiter", "8d49b010-cc6a-4f40-ace5-e86061c677ed")
        self.keys = {key}
        self.rate, self.burst = rate, burst
        self.signature_tokens: dict[str, str] = {}  # per event; SIGNATURE_TOKEN otherwise
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self._tokens, self._filled = burst, time.time()

    # -- control from Python (faults, outages answering 503, delays: connectors/sinks/fakes.py) -----------------
    def throttle(self, rate: float, burst: float, tokens_left: float | None = None) -> None:
        """Reshape the token bucket (Lever's is 10/s with bursts of 20)."""
        with self._lock:
            self.rate, self.burst = rate, burst
            self._tokens, self._filled = (burst if tokens_left is None else tokens_left), self.now()

    def revoke(self, key: str = SANDBOX_KEY) -> None:
        self.keys.discard(key)

    def opportunities(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(o) for o in sorted(self.account.opportunities.values(), key=lambda o: o["createdAt"])]

    def writes(self) -> list[str]:
        return [f"{method} {path}" for method, path, _, _ in self.requests if method != "GET"]

    # -- status webhooks as Lever sends them ---------------------------------------------------------------------
    def webhook(self, event: str, opportunity_id: str, **data: Any) -> bytes:
        """The signed body of one webhook: ``signature`` = hex HMAC-SHA256(signature token, token + triggeredAt)."""
        opportunity = self.account.opportunities.get(opportunity_id, {})
        token, triggered = secrets.token_hex(16), ms(self.now())
        key = self.signature_tokens.get(event, SIGNATURE_TOKEN)
        signature = hmac.new(key.encode(), f"{token}{triggered}".encode(), hashlib.sha256).hexdigest()
        payload = {"id": str(uuid.uuid4()), "triggeredAt": triggered, "event": event, "token": token,
                   "signature": signature, "data": {"candidateId": opportunity_id, "opportunityId": opportunity_id,
                                                    "contactId": opportunity.get("contact"), **data}}
        return json.dumps(payload).encode()

    def move(self, opportunity_id: str, stage: str) -> bytes:
        """A recruiter moves the opportunity; returns the ``candidateStageChange`` webhook."""
        before = self.account.get(opportunity_id)["stage"]
        self.account.move(opportunity_id, stage, self.perform_as, self.now())
        return self.webhook("candidateStageChange", opportunity_id, fromStageId=before, toStageId=stage)

    def archive(self, opportunity_id: str, reason: str) -> bytes:
        before = self.account.get(opportunity_id)["archived"]
        after = self.account.archive(opportunity_id, reason, self.now())["archived"]
        return self.webhook("candidateArchiveChange", opportunity_id, fromArchived=before, toArchived=after)

    def hire(self, opportunity_id: str) -> bytes:
        """Hiring archives with the "Hired" reason; Lever sends ``candidateHired`` (and an archive change)."""
        hired = next(r["id"] for r in self.account.archive_reasons if r["type"] == "hired")
        self.account.archive(opportunity_id, hired, self.now())
        return self.webhook("candidateHired", opportunity_id)

    # -- the API -------------------------------------------------------------------------------------------------
    def app(self) -> Flask:
        app = Flask("lever_fake")
        app.json.sort_keys = False  # type: ignore[attr-defined]
        routes: list[tuple[str, str, Callable[..., tuple[Any, int]]]] = [
            ("/v1/opportunities", "POST", self._create),
            ("/v1/opportunities", "GET", self._list),
            ("/v1/opportunities/<opp>", "GET", self._read),
            ("/v1/opportunities/<opp>/addTags", "POST", lambda opp: self._add(opp, "tags")),
            ("/v1/opportunities/<opp>/addSources", "POST", lambda opp: self._add(opp, "sources")),
            ("/v1/opportunities/<opp>/addLinks", "POST", lambda opp: self._add(opp, "links")),
            ("/v1/opportunities/<opp>/stage", "PUT", self._stage),
            ("/v1/opportunities/<opp>/archived", "PUT", self._archived),
            ("/v1/opportunities/<opp>/notes", "GET", self._notes),
            ("/v1/opportunities/<opp>/notes", "POST", self._note),
            ("/v1/opportunities/<opp>/files", "GET", self._files),
            ("/v1/opportunities/<opp>/files", "POST", self._upload),
            ("/v1/users/<user>", "GET", self._user),
            ("/v1/stages", "GET", lambda: ({"data": [{"id": k, "text": v} for k, v in
                                                     self.account.stages.items()], "hasNext": False}, 200)),
            ("/v1/archive_reasons", "GET", lambda: ({"data": self.account.archive_reasons, "hasNext": False}, 200)),
        ]
        for rule, method, handler in routes:
            app.add_url_rule(rule, f"{method} {rule}", self._view(handler), methods=[method])
        return app

    def _view(self, handler: Callable[..., tuple[Any, int]]) -> Callable[..., Response]:
        def view(**kwargs: Any) -> Response:
            headers: dict[str, str] = {}
            with self._lock:
                self.requests.append((request.method, request.path, dict(request.args), request.get_json(silent=True)))
                try:
                    self._gate()
                    payload, status = handler(**kwargs)
                except LeverError as exc:
                    payload, status, headers = exc.body(), exc.status, exc.headers
                delay = self.take_delay(f"{request.method} {request.path}")
            response = jsonify(payload)
            response.status_code = status
            response.headers.update(headers)
            if delay:
                time.sleep(delay)  # the work is done; the answer comes too late for the client
            return response

        return view

    def _gate(self) -> None:
        if self.in_outage():
            raise LeverError(503, *DEFAULT_BODIES[503])
        auth = request.authorization
        if auth is None or auth.type != "basic" or auth.username not in self.keys or auth.password:
            raise LeverError(401, *DEFAULT_BODIES[401])
        now = self.now()
        self._tokens = min(self.burst, self._tokens + (now - self._filled) * self.rate)
        self._filled = now
        if self._tokens < 1:
            raise LeverError(429, *DEFAULT_BODIES[429])
        self._tokens -= 1
        fault = self.take_fault()
        if fault is not None:
            code, message = DEFAULT_BODIES.get(fault.status, ("BadRequestError", f"fault {fault.status}"))
            body = fault.body or {"code": code, "message": message}
            raise LeverError(fault.status, str(body.get("code")), str(body.get("message")), fault.headers)

    def _actor(self) -> str:
        return self.account.actor(request.args.get("perform_as"))

    def _expand(self) -> list[str]:
        return request.args.getlist("expand")

    def _create(self) -> tuple[Any, int]:
        actor = self._actor()
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise LeverError(400, "BadRequestError", "Request body must be a JSON object")
        opportunity = self.account.create(body, actor, self.now())
        return {"data": self.account.view(opportunity, self._expand())}, 201

    def _list(self) -> tuple[Any, int]:
        email = request.args.get("email")
        found = self.account.by_email(email) if email else sorted(self.account.opportunities.values(),
                                                                   key=lambda o: o["createdAt"])
        archived = request.args.get("archived")
        if archived is not None:
            found = [o for o in found if bool(o["archived"]) == (archived == "true")]
        answer = page([self.account.view(o, self._expand()) for o in found], request.args.get("limit"),
                      request.args.get("offset"))
        return answer, 200

    def _read(self, opp: str) -> tuple[Any, int]:
        return {"data": self.account.view(self.account.get(opp), self._expand())}, 200

    def _add(self, opp: str, field_name: str) -> tuple[Any, int]:
        self._actor()
        body = request.get_json(silent=True) or {}
        return {"data": self.account.view(self.account.add(opp, field_name, body.get(field_name), self.now()),
                                          [])}, 200

    def _stage(self, opp: str) -> tuple[Any, int]:
        actor = self._actor()
        stage = (request.get_json(silent=True) or {}).get("stage")
        return {"data": self.account.view(self.account.move(opp, str(stage), actor, self.now()), [])}, 200

    def _archived(self, opp: str) -> tuple[Any, int]:
        self._actor()
        reason = (request.get_json(silent=True) or {}).get("reason")
        return {"data": self.account.view(self.account.archive(opp, reason, self.now()), [])}, 200

    def _notes(self, opp: str) -> tuple[Any, int]:
        self.account.get(opp)
        return page(list(self.account.notes.get(opp, [])), request.args.get("limit"), request.args.get("offset")), 200

    def _note(self, opp: str) -> tuple[Any, int]:
        actor = self._actor()
        note = self.account.note(opp, (request.get_json(silent=True) or {}).get("value"), actor, self.now())
        return {"data": {"noteId": note["id"]}}, 201

    def _files(self, opp: str) -> tuple[Any, int]:
        self.account.get(opp)
        shown = [{k: v for k, v in f.items() if k != "content"} for f in self.account.files.get(opp, [])]
        return {"data": shown, "hasNext": False}, 200

    def _upload(self, opp: str) -> tuple[Any, int]:
        self._actor()
        upload = request.files.get("file")
        if upload is None:
            raise LeverError(400, "BadRequestError", "Missing file: send it as multipart/form-data field 'file'")
        return {"data": self.account.upload(opp, upload.filename or "file", upload.read(), self.now())}, 201

    def _user(self, user: str) -> tuple[Any, int]:
        found = self.account.users.get(user)
        if found is None:
            raise LeverError(404, "ResourceNotFound", f"User {user} not found")
        return {"data": found}, 200
