"""Sandbox fake of the Salesforce REST API for Leads, with faults set from Python.

``SalesforceFake().app()`` serves ``/services/data/vXX.X/sobjects/Lead`` (create), ``…/Lead/{Id}`` (read, update),
``…/Lead/{ExternalIdField}/{value}`` (upsert: 201 created, 200 — 204 before v46.0 — updated, 300 on several
matches), ``…/Lead/describe``, ``…/composite/sobjects/Lead/{ExternalIdField}`` (collections upsert, ≤200),
``…/limits`` and ``/services/oauth2/token`` (client credentials). Every answer carries ``Sforce-Limit-Info``;
the org's daily API limit answers 403 ``REQUEST_LIMIT_EXCEEDED``. Time is the fake's own clock (:meth:`advance`).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from connectors.sinks.salesforce.fake_org import Org, SalesforceError

SANDBOX_TOKEN = "00D5g000004sandbox!AQ0AQsandboxtoken"  # noqa: S105 - the fake's own token, not a credential
VERSION = re.compile(r"^v(\d{2})\.0$")
DEFAULT_BODIES = {
    401: ("INVALID_SESSION_ID", "Session expired or invalid"),
    403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    500: ("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you contact support: "
                               "1425306155-70793 (-1146510291)"),
    503: ("SERVER_UNAVAILABLE", "Server is temporarily unavailable; please try again later."),
}


@dataclass
class Fault:
    status: int
    count: int
    headers: dict[str, str] = field(default_factory=dict)
    errors: list[dict[str, Any]] | None = None


class SalesforceFake:
    """One org as an integration user's access token sees it."""

    def __init__(self, token: str = SANDBOX_TOKEN, external_id_field: str = "LeadHub_Person_Id__c",
                 api_limit: int = 15_000) -> None:
        self.org = Org(external_id_field)
        self.tokens = {token}
        self.clients: dict[str, str] = {}  # client_id → client_secret for the client-credentials flow
        self.api_limit, self.api_used = api_limit, 0
        self.requests: list[tuple[str, str, Any, dict[str, str]]] = []
        self.faults: list[Fault] = []
        self.delays: list[float] = []
        self._offset = 0.0
        self._outage_until = 0.0
        self._lock = threading.RLock()

    # -- control from Python -------------------------------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def fail_next(self, status: int, count: int = 1, headers: dict[str, str] | None = None,
                  errors: list[dict[str, Any]] | None = None) -> None:
        """Answer the next ``count`` requests with ``status`` and Salesforce's error array for it."""
        with self._lock:
            self.faults.append(Fault(status, count, dict(headers or {}), errors))

    def outage(self, seconds: float) -> None:
        self._outage_until = self.now() + seconds

    def delay_next(self, seconds: float, count: int = 1) -> None:
        """The next ``count`` requests are carried out, then answered only after ``seconds``."""
        with self._lock:
            self.delays += [seconds] * count

    def revoke(self, token: str = SANDBOX_TOKEN) -> None:
        self.tokens.discard(token)

    def convert(self, lead_id: str) -> None:
        """A recruiter converted the Lead: it can no longer be updated."""
        self.org.leads[lead_id].update(IsConverted=True, Status="Closed - Converted")

    def leads(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(lead) for lead in self.org.leads.values()]

    # -- the API -------------------------------------------------------------------------------------------------
    def app(self) -> Flask:
        app = Flask("salesforce_fake")
        app.json.sort_keys = False  # type: ignore[attr-defined]
        base = "/services/data/<version>"
        routes: list[tuple[str, str, Callable[..., tuple[Any, int]]]] = [
            (base + "/sobjects/Lead", "POST", self._create),
            (base + "/sobjects/Lead/describe", "GET", self._describe),
            (base + "/sobjects/Lead/<lead_id>", "GET", self._read),
            (base + "/sobjects/Lead/<lead_id>", "PATCH", self._update),
            (base + "/sobjects/Lead/<field_name>/<path:value>", "GET", self._read_by),
            (base + "/sobjects/Lead/<field_name>/<path:value>", "PATCH", self._upsert),
            (base + "/composite/sobjects/Lead/<field_name>", "PATCH", self._collection_upsert),
            (base + "/limits", "GET", self._limits),
        ]
        for rule, method, handler in routes:
            app.add_url_rule(rule, f"{method} {rule}", self._view(handler), methods=[method])
        app.add_url_rule("/services/oauth2/token", "token", self._token, methods=["POST"])
        return app

    def _view(self, handler: Callable[..., tuple[Any, int]]) -> Callable[..., Response]:
        def view(version: str, **kwargs: Any) -> Response:
            body = request.get_json(silent=True)
            with self._lock:
                self.requests.append((request.method, request.path, body, dict(request.headers)))
                headers: dict[str, str] = {}
                try:
                    self._gate(version)
                    payload, status = handler(version, body, **kwargs)
                except SalesforceError as exc:
                    payload, status, headers = exc.errors, exc.status, exc.headers
                delay = self.delays.pop(0) if self.delays else 0.0
                usage = f"api-usage={self.api_used}/{self.api_limit}"
            response = jsonify(payload) if payload is not None else Response(status=status)
            response.status_code = status
            response.headers["Sforce-Limit-Info"] = usage
            response.headers.update(headers)
            if delay:
                time.sleep(delay)
            return response

        return view

    def _gate(self, version: str) -> None:
        if self.now() < self._outage_until:
            code, message = DEFAULT_BODIES[503]
            raise SalesforceError(503, code, message)
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or header[7:] not in self.tokens:
            raise SalesforceError(401, *DEFAULT_BODIES[401])
        match = VERSION.match(version)
        if match is None or not 31 <= int(match.group(1)) <= 64:
            raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        if self.api_used >= self.api_limit:
            raise SalesforceError(403, *DEFAULT_BODIES[403])
        self.api_used += 1
        for fault in self.faults:
            if fault.count > 0:
                fault.count -= 1
                self.faults = [f for f in self.faults if f.count > 0]
                code, message = DEFAULT_BODIES.get(fault.status, ("UNKNOWN_EXCEPTION", f"fault {fault.status}"))
                exc = SalesforceError(fault.status, code, message)
                exc.errors = fault.errors if fault.errors is not None else exc.errors
                exc.headers.update(fault.headers)
                raise exc

    @staticmethod
    def _allow_save() -> bool:
        header = request.headers.get("Sforce-Duplicate-Rule-Header", "")
        return any(part.strip().lower() == "allowsave=true" for part in header.split(","))

    # -- Leads ---------------------------------------------------------------------------------------------------
    def _create(self, version: str, body: Any) -> tuple[Any, int]:
        lead = self.org.create(dict(body or {}), self._allow_save(), version)
        return {"id": lead["Id"], "success": True, "errors": []}, 201

    def _describe(self, version: str, body: Any) -> tuple[Any, int]:
        return self.org.describe(), 200

    def _record(self, version: str, lead: dict[str, Any]) -> dict[str, Any]:
        names = request.args.get("fields")
        wanted = [n.strip() for n in names.split(",")] if names else list(self.org.fields)
        attributes = {"type": "Lead", "url": f"/services/data/{version}/sobjects/Lead/{lead['Id']}"}
        return {"attributes": attributes, **{n: lead.get(n) for n in wanted if n in self.org.fields}}

    def _read(self, version: str, body: Any, lead_id: str) -> tuple[Any, int]:
        if lead_id not in self.org.leads:
            raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        return self._record(version, self.org.leads[lead_id]), 200

    def _update(self, version: str, body: Any, lead_id: str) -> tuple[Any, int]:
        if lead_id not in self.org.leads:
            raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        self.org.update(lead_id, dict(body or {}), self._allow_save(), version)
        return None, 204

    def _read_by(self, version: str, body: Any, field_name: str, value: str) -> tuple[Any, int]:
        found = self.org.matching(field_name, value)
        if not found:
            raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        if len(found) > 1:
            return [f"/services/data/{version}/sobjects/Lead/{i}" for i in found], 300
        return self._record(version, self.org.leads[found[0]]), 200

    def _upsert(self, version: str, body: Any, field_name: str, value: str) -> tuple[Any, int]:
        values = dict(body or {})
        if field_name in values and str(values[field_name]) != value:
            raise SalesforceError(400, "INVALID_FIELD", f"The value of {field_name} in the body ({values[field_name]}) "
                                  f"differs from the one in the URL ({value})", [field_name])
        found = self.org.matching(field_name, value)
        if len(found) > 1:
            return [f"/services/data/{version}/sobjects/Lead/{i}" for i in found], 300
        if not found:
            lead = self.org.create({**values, field_name: value}, self._allow_save(), version)
            return {"id": lead["Id"], "success": True, "errors": [], "created": True}, 201
        self.org.update(found[0], values, self._allow_save(), version)
        if int(version[1:3]) < 46:  # older API versions answer an update with 204 and no body
            return None, 204
        return {"id": found[0], "success": True, "errors": [], "created": False}, 200

    def _collection_upsert(self, version: str, body: Any, field_name: str) -> tuple[Any, int]:
        """Up to 200 records, one UpsertResult each, in order; 200 even when some fail (``allOrNone`` false)."""
        records = list((body or {}).get("records") or [])
        if len(records) > 200:
            raise SalesforceError(400, "EXCEEDED_ID_LIMIT", "Record limit reached. Please use 200 or fewer records.")
        results = []
        for record in records:
            values = {k: v for k, v in record.items() if k != "attributes"}
            try:
                value = str(values.pop(field_name))
                answer, status = self._upsert(version, values, field_name, value)
                results.append({**answer, "success": True} if status in (200, 201) else
                               {"success": False, "errors": [{"statusCode": "MULTIPLE_RECORDS_MATCHED",
                                                               "message": "More than one record found", "fields": []}]})
            except (SalesforceError, KeyError) as exc:
                errors = exc.errors if isinstance(exc, SalesforceError) else [
                    {"errorCode": "REQUIRED_FIELD_MISSING", "message": f"Missing {field_name}"}]
                results.append({"success": False, "errors": [{"statusCode": e["errorCode"], "message": e["message"],
                                                              "fields": e.get("fields", [])} for e in errors]})
        return results, 200

    def _limits(self, version: str, body: Any) -> tuple[Any, int]:
        return {"DailyApiRequests": {"Max": self.api_limit, "Remaining": self.api_limit - self.api_used}}, 200

    def _token(self) -> Response:
        """OAuth 2.0 client credentials: ``grant_type=client_credentials`` with the connected app's id and secret."""
        form = request.form
        if form.get("grant_type") != "client_credentials":
            return Response('{"error":"unsupported_grant_type","error_description":"grant type not supported"}',
                            400, mimetype="application/json")
        if self.clients.get(form.get("client_id", "")) != form.get("client_secret") or not form.get("client_secret"):
            return Response('{"error":"invalid_client","error_description":"invalid client credentials"}', 400,
                            mimetype="application/json")
        token = "00D5g000004sandbox!" + secrets.token_urlsafe(24)
        self.tokens.add(token)
        return jsonify({"access_token": token, "instance_url": request.host_url.rstrip("/"), "token_type": "Bearer",
                        "issued_at": str(int(self.now() * 1000)), "scope": "api",
                        "id": request.host_url + "id/00D5g000004sandbox/0055g00000sandbox",
                        "signature": secrets.token_urlsafe(32)})
