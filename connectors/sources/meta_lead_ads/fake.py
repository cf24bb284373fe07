"""Sandbox fake of Meta's Graph API for lead ads: seeded forms and leads, paging, filtering, faults, webhooks.

``MetaFake().app()`` is a Flask app serving ``/vNN.0/{page}/leadgen_forms``, ``/{form}/leads``,
``/{form}/test_leads`` (GET/POST), ``/{lead}`` and ``/{form}``. Faults are set from Python with
:meth:`MetaFake.fail_next`; waits the fake announces are real, scaled by ``time_scale`` so tests stay fast.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from connectors.sources.meta_lead_ads import fake_errors as errors
from connectors.sources.meta_lead_ads import fake_graph as graph
from connectors.sources.meta_lead_ads import fake_webhooks as webhooks
from connectors.sources.meta_lead_ads.fake_errors import GraphError
from connectors.sources.meta_lead_ads.fake_store import GraphStore

SANDBOX_TOKEN = "sandbox-page-token"  # noqa: S105 - the fake's own token, not a credential


@dataclass
class Fault:
    kind: str
    count: int
    code: int = 80005
    wait_minutes: int = 1
    on: str | None = None  # only requests whose path ends with this edge or node id


@dataclass
class Subscription:
    url: str
    app_secret: str
    copies: int = 1
    numeric_ids: bool = False
    statuses: list[int] = field(default_factory=list)


class MetaFake:
    """One Page with lead forms, as the Graph API serves it to a Page access token."""

    def __init__(
        self,
        access_token: str = SANDBOX_TOKEN,
        time_scale: float = 1.0,
        app_secret: str | None = None,
        require_appsecret_proof: bool = False,
        rng_seed: int = 7,
    ) -> None:
        self.tokens: dict[str, str] = {access_token: "valid"}
        self.time_scale = time_scale
        self.app_secret = app_secret
        self.require_appsecret_proof = require_appsecret_proof
        self.store = GraphStore(rng_seed)
        self.page_id = self.store.page_id
        self.forms, self.leads = self.store.forms, self.store.leads  # live views, for tests and the demo
        self.faults: list[Fault] = []
        self.throttle: tuple[float, int, str | None] | None = None  # until (monotonic), code, scope
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.rejections: list[tuple[str, int]] = []  # (path, error code) of every refused request
        self.subscriptions: list[Subscription] = []
        self._calls: list[float] = []
        self._rng = random.Random(rng_seed + 2)
        self._lock = threading.RLock()

    # -- control from Python -------------------------------------------------------------------------------
    def fail_next(
        self, kind: str, count: int = 1, *, code: int = 80005, wait_minutes: int = 1, on: str | None = None
    ) -> None:
        """Refuse the next ``count`` matching requests (``on``: only paths ending in that edge or id).

        ``rate_limit``: ``code`` 4/17/32/613/80005, then every request is throttled for ``wait_minutes`` minutes
        (one minute lasts 60 s * ``time_scale``). ``token_expired`` (190/463) and ``session_invalid`` (102): the
        token stays unusable. ``reduce_data`` and ``transient``: HTTP 500. ``unknown_id``: 100/33.
        """
        if kind not in errors.FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(errors.FAULT_KINDS)}")
        if kind == "rate_limit" and code not in errors.RATE_LIMITS:
            raise ValueError(f"unknown rate-limit code {code}; known: {sorted(errors.RATE_LIMITS)}")
        with self._lock:
            self.faults.append(Fault(kind, count, code, wait_minutes, on))

    def expire_token(self, token: str = SANDBOX_TOKEN) -> None:
        with self._lock:
            self.tokens[token] = "expired"

    def add_lead(
        self, form_id: str | None = None, created: int | None = None, organic: bool = False, notify: bool = True
    ) -> dict[str, Any]:
        """A new lead on a form (the first unless named); subscribed callbacks get a signed ``leadgen`` delivery."""
        lead = self.store.add_lead(form_id, created, organic)
        if notify:
            self.notify(lead)
        return lead

    def subscribe(
        self, callback_url: str, verify_token: str, app_secret: str, copies: int = 1, numeric_ids: bool = False
    ) -> None:
        """Like ``POST /{app}/subscriptions``: verify the callback with the ``hub.*`` GET first, as Meta does."""
        challenge = str(self._rng.randint(10**8, 10**10))
        answer = webhooks.handshake(callback_url, verify_token, challenge)
        if answer.status_code != 200 or answer.text != challenge:
            raise ValueError(f"The URL couldn't be validated. Response {answer.status_code}: {answer.text[:100]!r}")
        self.subscriptions.append(Subscription(callback_url, app_secret, copies, numeric_ids))

    def notify(self, lead: dict[str, Any]) -> None:
        for sub in self.subscriptions:
            raw = webhooks.body([webhooks.leadgen_value(lead, self.page_id, sub.numeric_ids)], self.page_id)
            sub.statuses += webhooks.deliver(sub.url, raw, sub.app_secret, copies=sub.copies)

    # -- the API -----------------------------------------------------------------------------------------------
    def app(self) -> Flask:
        app = Flask("meta_graph_fake")
        app.json.sort_keys = False  # type: ignore[attr-defined]  # keep Graph's field order

        @app.errorhandler(GraphError)
        def graph_error(exc: GraphError) -> Response:
            response = jsonify(exc.body())
            response.status_code = exc.status
            response.headers["WWW-Authenticate"] = 'OAuth "Facebook Platform" "invalid_request"'
            for key, value in (exc.headers or {}).items():
                response.headers[key] = value
            return response

        @app.after_request
        def usage(response: Response) -> Response:
            response.headers["facebook-api-version"] = request.path.split("/")[1] if "/" in request.path else ""
            response.headers.setdefault("X-App-Usage", errors.app_usage_header(self._usage()))
            return response

        @app.route("/<version>/<node_id>", methods=["GET", "DELETE"])
        def node(version: str, node_id: str) -> Any:
            self._gate(version)
            if request.method == "DELETE":
                return jsonify(self.store.delete(node_id))
            found, node_type = self.store.find(node_id)
            return jsonify(graph.project(found, graph.requested_fields(request.args.get("fields"), node_type)))

        @app.route("/<version>/<node_id>/<edge>", methods=["GET", "POST"])
        def edge(version: str, node_id: str, edge: str) -> Any:
            self._gate(version)
            node = self.store.find(node_id)
            if request.method == "POST" and edge == "test_leads" and node[1] == "LeadgenForm":
                return jsonify({"id": self._create_test_lead(node[0])["id"]})
            items, item_type = self.store.edge(node, edge, request.args.get("filtering"))
            fields = graph.requested_fields(request.args.get("fields"), item_type)
            return jsonify(graph.page(items, fields, list(request.args.items(multi=True)), request.base_url))

        return app

    def _gate(self, version: str) -> None:
        """Every request: log, version, token, appsecret_proof, throttling, injected faults."""
        with self._lock:
            self.requests.append((request.method, request.path, dict(request.args)))
            self._calls.append(time.monotonic())
            try:
                if not version.startswith("v") or not version[1:].replace(".", "").isdigit():
                    raise errors.oauth(f"Unknown path components: /{version}", 2500)
                self._authenticate()
                self._throttled()
                self._fault()
            except GraphError as exc:
                self.rejections.append((request.path, int(exc.error["code"])))
                raise

    def _authenticate(self) -> None:
        header = request.headers.get("Authorization", "")
        token = request.args.get("access_token") or request.form.get("access_token")
        if not token and header.split(" ", 1)[0].lower() in ("bearer", "oauth"):
            token = header.split(" ", 1)[1].strip()
        if not token:
            raise errors.token_missing()
        state = self.tokens.get(token)
        if state is None:
            raise errors.token_invalid()
        if state == "expired":
            raise errors.token_expired()
        if state == "session_invalid":
            raise errors.session_invalid()
        proof = request.args.get("appsecret_proof")
        if self.app_secret and (proof or self.require_appsecret_proof):
            expected = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if not proof:
                raise errors.invalid_parameter("API calls from the server require an appsecret_proof argument")
            if not hmac.compare_digest(proof, expected):
                raise errors.invalid_parameter("Invalid appsecret_proof provided in the API argument")

    def _matches(self, on: str | None) -> bool:
        return on is None or request.path.rstrip("/").endswith("/" + on)

    def _throttled(self) -> None:
        if self.throttle is None:
            return
        until, code, on = self.throttle
        remaining = until - time.monotonic()
        if remaining <= 0:
            self.throttle = None
        elif self._matches(on):
            raise errors.rate_limited(code, self.page_id, remaining, self.time_scale)

    def _fault(self) -> None:
        fault = next((f for f in self.faults if f.count > 0 and self._matches(f.on)), None)
        if fault is None:
            return
        fault.count -= 1
        if fault.kind == "rate_limit":
            wait_s = fault.wait_minutes * 60 * self.time_scale
            self.throttle = (time.monotonic() + wait_s, fault.code, fault.on)
            raise errors.rate_limited(fault.code, self.page_id, wait_s, self.time_scale)
        if fault.kind in ("token_expired", "session_invalid"):  # the token stays unusable, as on Graph
            for token in self.tokens:
                self.tokens[token] = "expired" if fault.kind == "token_expired" else "session_invalid"
            self._authenticate()
        path_id = request.path.strip("/").split("/")[1]
        raise {"reduce_data": errors.reduce_data, "transient": errors.transient}.get(
            fault.kind, lambda: errors.unknown_object(path_id)
        )()

    def _usage(self) -> int:
        """``X-App-Usage`` call_count: the share of a (scaled) hourly budget of 200 calls used so far."""
        horizon = time.monotonic() - 3600 * self.time_scale
        with self._lock:
            self._calls = [t for t in self._calls if t > horizon]
            return min(100, len(self._calls) // 2)

    def _create_test_lead(self, form: dict[str, Any]) -> dict[str, Any]:
        try:
            field_data = json.loads(request.values.get("field_data") or "null")
            disclaimers = json.loads(request.values.get("custom_disclaimer_responses") or "null")
        except json.JSONDecodeError:
            raise errors.invalid_parameter("param field_data must be a JSON array.") from None
        lead = self.store.add_test_lead(form, field_data, disclaimers)
        self.notify(lead)  # the Testing Tool's leads fire real webhooks
        return lead
