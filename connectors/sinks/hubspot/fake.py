"""Sandbox fake of HubSpot's CRM v3 contacts and properties APIs, with faults set from Python.

``HubSpotFake().app()`` serves ``/crm/v3/objects/contacts`` (create, read, ``batch/create|upsert|update``,
``search``) and ``/crm/v3/properties/contacts`` (+ ``/groups``); the date-versioned ``/crm/objects/<v>/...``
paths answer the same. Every answer carries ``X-HubSpot-RateLimit-*``; the rolling 10 s and the daily limit answer
429 with ``policyName``. Time is the fake's own clock (:meth:`advance`) so outages and limits need no sleeping.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from connectors.sinks.hubspot import fake_errors as errors
from connectors.sinks.hubspot import fake_search
from connectors.sinks.hubspot.fake_errors import HubSpotError
from connectors.sinks.hubspot.fake_store import Portal, iso, public

SANDBOX_TOKEN = "pat-na1-sandbox"  # noqa: S105 - the fake's own token, not a credential
ALL_SCOPES = frozenset({"crm.objects.contacts.read", "crm.objects.contacts.write", "crm.schemas.contacts.read",
                        "crm.schemas.contacts.write"})
BATCH_LIMIT = 100


@dataclass
class Fault:
    status: int
    count: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    path: str | None = None  # only requests whose path ends with this


class HubSpotFake:
    """One HubSpot portal as a private app's token sees it."""

    def __init__(self, token: str = SANDBOX_TOKEN, interval_max: int = 100, daily_max: int = 250_000) -> None:
        self.portal = Portal()
        self.tokens: dict[str, set[str]] = {token: set(ALL_SCOPES)}
        self.expired: set[str] = set()
        self.interval_max, self.daily_max = interval_max, daily_max
        self.daily_used = 0
        self.retry_after_on_429: str | None = None  # [UNCONFIRMED] whether HubSpot sends Retry-After on 429
        self.multi_status = True  # honour objectWriteTraceId with 207 answers; False: a bad input fails the batch
        self.search_lag_s = 0.0
        self.requests: list[tuple[str, str, Any]] = []
        self.faults: list[Fault] = []
        self.delays: list[float] = []
        self.races = 0
        self._raced: list[dict[str, Any]] = []  # written by the "other integration": they survive a rollback
        self._offset = 0.0
        self._outage_until = 0.0
        self._window: list[float] = []
        self._rng = random.Random(7)
        self._lock = threading.RLock()

    # -- control from Python -----------------------------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock on (outages end, the 10 s window rolls) without sleeping."""
        self._offset += seconds

    def fail_next(self, status: int, count: int = 1, headers: dict[str, str] | None = None,
                  body: dict[str, Any] | None = None, path: str | None = None) -> None:
        """Answer the next ``count`` requests (ending with ``path``) with ``status`` in HubSpot's envelope."""
        with self._lock:
            self.faults.append(Fault(status, count, dict(headers or {}), body, path))

    def outage(self, seconds: float) -> None:
        """Every request answers 500 until the fake's clock has moved ``seconds`` on."""
        self._outage_until = self.now() + seconds

    def delay_next(self, seconds: float, count: int = 1) -> None:
        """The next ``count`` requests are carried out, then answered only after ``seconds`` (client timeouts)."""
        with self._lock:
            self.delays += [seconds] * count

    def race_next(self, count: int = 1) -> None:
        """Another integration wins the next ``count`` creates: it writes the email first, ours gets the 409."""
        self.races += count

    def revoke(self, token: str = SANDBOX_TOKEN) -> None:
        self.tokens.pop(token, None)

    def expire(self, token: str = SANDBOX_TOKEN) -> None:
        self.expired.add(token)

    def grant(self, token: str, scopes: set[str]) -> None:
        self.tokens[token] = set(scopes)
        self.expired.discard(token)

    def contacts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c["properties"], id=c["id"]) for c in self.portal.contacts.values()]

    def change(self, contact_id: str, **properties: str) -> dict[str, Any]:
        """A recruiter edits a contact in HubSpot (e.g. ``hs_lead_status="IN_PROGRESS"``), at the fake's clock."""
        with self._lock:
            return dict(self.portal.update(contact_id, properties, self.now())["properties"])

    def calls(self, suffix: str) -> list[Any]:
        """Bodies of the requests whose path ends with ``suffix``."""
        return [body for _, path, body in self.requests if path.endswith(suffix)]

    # -- the API -------------------------------------------------------------------------------------------------
    def app(self) -> Flask:
        app = Flask("hubspot_fake")
        app.json.sort_keys = False  # type: ignore[attr-defined]
        routes: list[tuple[str, str, Callable[..., Any], str]] = [
            ("", "POST", self._create, "crm.objects.contacts.write"),
            ("/<contact_id>", "GET", self._read, "crm.objects.contacts.read"),
            ("/batch/create", "POST", self._batch_create, "crm.objects.contacts.write"),
            ("/batch/upsert", "POST", self._batch_upsert, "crm.objects.contacts.write"),
            ("/batch/update", "POST", self._batch_update, "crm.objects.contacts.write"),
            ("/search", "POST", self._search, "crm.objects.contacts.read"),
        ]
        properties: list[tuple[str, str, Callable[..., Any], str]] = [
            ("", "GET", self._list_properties, "crm.schemas.contacts.read"),
            ("", "POST", self._create_property, "crm.schemas.contacts.write"),
            ("/<name>", "GET", self._read_property, "crm.schemas.contacts.read"),
            ("/groups", "GET", self._list_groups, "crm.schemas.contacts.read"),
            ("/groups", "POST", self._create_group, "crm.schemas.contacts.write"),
        ]
        prefixes = [(routes, "/crm/v3/objects/contacts"), (routes, "/crm/objects/<version>/contacts"),
                    (properties, "/crm/v3/properties/contacts"), (properties, "/crm/properties/<version>/contacts")]
        for table, prefix in prefixes:
            for tail, method, handler, scope in table:
                view = self._view(handler, scope)
                app.add_url_rule(prefix + tail, f"{method} {prefix}{tail}", view, methods=[method])
        return app

    def _view(self, handler: Callable[..., tuple[Any, int]], scope: str) -> Callable[..., Response]:
        def view(**kwargs: Any) -> Response:
            kwargs.pop("version", None)
            body = request.get_json(silent=True)
            with self._lock:
                self.requests.append((request.method, request.path, body))
                try:
                    self._gate(scope)
                    payload, status = handler(body or {}, **kwargs)
                    headers: dict[str, str] = {}
                except HubSpotError as exc:
                    payload, status, headers = exc.body(), exc.status, exc.headers
                delay = self.delays.pop(0) if self.delays else 0.0
            response = jsonify(payload) if payload is not None else Response(status=status)
            response.status_code = status
            response.headers.update(self._limit_headers())
            response.headers.update(headers)
            if delay:
                time.sleep(delay)
            return response

        return view

    def _gate(self, scope: str) -> None:
        """Outage, token, scope, rate limits, injected faults — in that order, as a real gateway would."""
        if self.now() < self._outage_until:
            raise errors.server_error()
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        if token not in self.tokens:
            raise errors.unauthenticated()
        if token in self.expired:
            raise errors.unauthenticated(expired=True)
        if scope not in self.tokens[token]:
            raise errors.missing_scopes(scope)
        self._count()
        for fault in self.faults:
            if fault.count > 0 and (fault.path is None or request.path.endswith(fault.path)):
                fault.count -= 1
                self.faults = [f for f in self.faults if f.count > 0]
                raise self._fault(fault)

    def _count(self) -> None:
        now = self.now()
        self._window = [t for t in self._window if t > now - 10]
        policy = "DAILY" if self.daily_used >= self.daily_max else None
        if policy is None and len(self._window) >= self.interval_max:
            policy = "TEN_SECONDLY_ROLLING"
        if policy:
            exc = errors.rate_limited(policy)
            if self.retry_after_on_429:
                exc.headers["Retry-After"] = self.retry_after_on_429
            raise exc
        self._window.append(now)
        self.daily_used += 1

    def _fault(self, fault: Fault) -> HubSpotError:
        if fault.status == 429:
            exc = errors.rate_limited("TEN_SECONDLY_ROLLING")
        elif fault.status == 401:
            exc = errors.unauthenticated()
        elif fault.status >= 500:
            exc = errors.server_error()
        else:
            exc = HubSpotError(fault.status, "ERROR", f"sandbox fault {fault.status}")
        if fault.body is not None:
            exc = HubSpotError(fault.status, fault.body.get("category"), str(fault.body.get("message", "")),
                               **{k: v for k, v in fault.body.items() if k not in ("category", "message", "status")})
        exc.headers.update(fault.headers)
        return exc

    def _limit_headers(self) -> dict[str, str]:
        now = self.now()
        used = len([t for t in self._window if t > now - 10])
        return {
            "X-HubSpot-RateLimit-Daily": str(self.daily_max),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.daily_max - self.daily_used)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": str(self.interval_max),
            "X-HubSpot-RateLimit-Remaining": str(max(0, self.interval_max - used)),
        }

    # -- contacts ------------------------------------------------------------------------------------------------
    def _new(self, properties: dict[str, Any]) -> dict[str, Any]:
        """A create, unless a scripted race lets another writer take the email first."""
        email = str(properties.get("email") or "")
        if self.races > 0 and email and self.portal.find("email", email) is None:
            self.races -= 1
            other = self.portal.create({"email": email}, self.now())
            self._raced.append(other)
            raise errors.conflict(other["id"])
        return self.portal.create(properties, self.now())

    def _create(self, body: dict[str, Any]) -> tuple[Any, int]:
        contact = self._new(dict(body.get("properties") or {}))
        return public(contact, list(body.get("properties") or {})), 201

    def _read(self, body: dict[str, Any], contact_id: str) -> tuple[Any, int]:
        id_property = self.portal.id_property(request.args.get("idProperty"))
        found = self.portal.find(id_property, contact_id)
        if found is None:
            return None, 404
        names = request.args.get("properties")
        return public(self.portal.contacts[found], names.split(",") if names else None), 200

    def _batch(self, body: dict[str, Any], key: Callable[[dict[str, Any]], str | None],
               write: Callable[[dict[str, Any]], tuple[dict[str, Any], bool | None]], ok: int) -> tuple[Any, int]:
        """HubSpot's batch semantics: ≤100 inputs, no duplicate ids, all-or-nothing unless every input carries an
        ``objectWriteTraceId`` (then 207 with per-input errors); results in no particular order."""
        inputs = list(body.get("inputs") or [])
        if not inputs or len(inputs) > BATCH_LIMIT:
            raise errors.validation(f"inputs must hold between 1 and {BATCH_LIMIT} entries, not {len(inputs)}.")
        keys = [k for k in (key(i) for i in inputs) if k is not None]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise errors.duplicate_ids(duplicates)
        multi = self.multi_status and all(i.get("objectWriteTraceId") for i in inputs)
        started, before = iso(self.now()), self.portal.snapshot()
        results, failures = [], []
        for item in inputs:
            trace = item.get("objectWriteTraceId")
            try:
                contact, new = write(item)
            except HubSpotError as exc:
                if not multi:
                    self.portal.restore(before)
                    self.portal.contacts.update({c["id"]: c for c in self._raced})
                    raise
                failures.append(exc.entry(trace))
                continue
            result = public(contact, [*list(item.get("properties") or {}), *([item["idProperty"]]
                                                                              if item.get("idProperty") else [])])
            if new is not None:
                result["new"] = new
            if trace:
                result["objectWriteTraceId"] = trace
            results.append(result)
        self._rng.shuffle(results)
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                                  "completedAt": iso(self.now())}
        if failures:
            answer.update(numErrors=len(failures), errors=failures)
        return answer, 207 if failures else ok

    def _batch_create(self, body: dict[str, Any]) -> tuple[Any, int]:
        return self._batch(body, lambda i: None, lambda i: (self._new(dict(i.get("properties") or {})), None), 201)

    def _batch_upsert(self, body: dict[str, Any]) -> tuple[Any, int]:
        def key(item: dict[str, Any]) -> str:
            value = str(item.get("id", ""))
            return value.lower() if item.get("idProperty") == "email" else value

        def write(item: dict[str, Any]) -> tuple[dict[str, Any], bool]:
            id_property = self.portal.id_property(item.get("idProperty"))
            if not item.get("id"):
                raise errors.validation("id is required for every upsert input")
            value, properties = str(item["id"]), dict(item.get("properties") or {})
            existing = self.portal.find(id_property, value)
            if existing is None and id_property != "hs_object_id":
                return self._new({**properties, id_property: value}), True
            return self.portal.upsert(id_property, value, properties, self.now())

        return self._batch(body, key, write, 200)

    def _batch_update(self, body: dict[str, Any]) -> tuple[Any, int]:
        def write(item: dict[str, Any]) -> tuple[dict[str, Any], None]:
            id_property = self.portal.id_property(item.get("idProperty"))
            found = self.portal.find(id_property, str(item.get("id", "")))
            if found is None:
                raise errors.not_found([str(item.get("id", ""))])
            return self.portal.update(found, dict(item.get("properties") or {}), self.now()), None

        return self._batch(body, lambda i: str(i.get("id", "")), write, 200)

    def _search(self, body: dict[str, Any]) -> tuple[Any, int]:
        return fake_search.search(self.portal, body, self.now(), self.search_lag_s), 200

    # -- properties ------------------------------------------------------------------------------------------------
    def _list_properties(self, body: dict[str, Any]) -> tuple[Any, int]:
        return {"results": list(self.portal.properties.values())}, 200

    def _read_property(self, body: dict[str, Any], name: str) -> tuple[Any, int]:
        found = self.portal.properties.get(name)
        if found is None:
            raise HubSpotError(404, "OBJECT_NOT_FOUND", f"Unable to find property {name} for object type contacts")
        return found, 200

    def _create_property(self, body: dict[str, Any]) -> tuple[Any, int]:
        return self.portal.create_property(body), 201

    def _list_groups(self, body: dict[str, Any]) -> tuple[Any, int]:
        return {"results": list(self.portal.groups.values())}, 200

    def _create_group(self, body: dict[str, Any]) -> tuple[Any, int]:
        return self.portal.create_group(body), 201
