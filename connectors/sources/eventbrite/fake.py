"""Sandbox fake of Eventbrite's API v3 and its webhooks: continuation paging, ``changed_since``, expansions,
INVALID_AUTH and HIT_RATE_LIMIT errors, and a sender of webhook deliveries that carry only ``api_url``.

Serve ``fake.app()`` and point a connection's ``base_url`` at ``<served url>/v3``; set ``fake.public_url`` to
the served URL so the ``api_url`` and ``resource_uri`` it hands out point back at it, as Eventbrite's do.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from flask import Flask, Response, jsonify, request

from connectors.sources.eventbrite import samples
from connectors.sources.eventbrite.fake_errors import KINDS, Fault, arguments_error, error

REAL_API = "https://www.eventbriteapi.com"


class EventbriteFake:
    """One organization with events, orders and attendees; every list is paged by ``continuation``."""

    def __init__(self, token: str = "sandbox-private-token", seed: int = 42, page_size: int = 50) -> None:  # noqa: S107
        self.token = token
        self.seed = seed
        self.page_size = page_size  # attendees come 50 to a page on Eventbrite
        self.public_url = REAL_API
        self.hourly_limit = 2000
        self.user_id = "183746592013"
        self.organization = {"id": "470000000001", "name": "Klinikum Nordstadt Recruiting", "vertical": "Default"}
        self.events: dict[str, dict[str, Any]] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.attendees: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []
        self._faults: list[Fault] = []
        self._calls: deque[float] = deque()
        self._continuations: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()

    # --- the world -------------------------------------------------------------------------------------

    def add_event(self, name: str | None = None, at: datetime | None = None) -> dict[str, Any]:
        event_id = f"{781_000_000_001 + len(self.events)}"
        name = name or samples.EVENT_NAMES[len(self.events) % len(samples.EVENT_NAMES)]
        at = at or datetime(2026, 9, 1, tzinfo=UTC)
        self.events[event_id] = samples.event(event_id, name, self.organization["id"], at, self.public_url)
        return self.events[event_id]

    def add_order(self, event_id: str, tickets: int, at: datetime) -> dict[str, Any]:
        """One order with ``tickets`` attendees (each a lead), placed at ``at``."""
        order_id = f"{9_800_000_001 + len(self.orders)}"
        people = []
        for _ in range(tickets):
            n = len(self.attendees) + 1
            person = samples.attendee(n, event_id, order_id, at, self.public_url, self.seed)
            self.attendees[person["id"]] = person
            people.append(person)
        self.orders[order_id] = samples.order(order_id, event_id, people[0]["profile"], at, self.public_url)
        return self.orders[order_id]

    def add_attendees(self, event_id: str, count: int, at: datetime, step: timedelta | None = None) -> list[str]:
        """``count`` single-ticket orders, one ``step`` (default a minute) apart; returns the attendee ids."""
        ids = []
        for i in range(count):
            order = self.add_order(event_id, 1, at + (step or timedelta(minutes=1)) * i)
            ids += [a["id"] for a in self.attendees.values() if a["order_id"] == order["id"]]
        return ids

    def seed_world(self, events: int = 2, attendees_per_event: int = 4, at: datetime | None = None) -> None:
        at = at or datetime(2026, 10, 1, 9, tzinfo=UTC)
        for e in range(events):
            event = self.add_event(at=at)
            self.add_attendees(event["id"], attendees_per_event, at + timedelta(hours=e))

    def update_attendee(self, attendee_id: str, at: datetime, **changes: Any) -> dict[str, Any]:
        attendee = self.attendees[attendee_id]
        attendee.update(changes, changed=at.strftime(samples.STAMP))
        return attendee

    def fail_next(self, kind: str, count: int = 1, retry_after_s: float | None = None) -> None:
        """The next ``count`` API calls fail with ``kind`` (see ``fake_errors.KINDS``)."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(KINDS)}")
        self._faults.append(Fault(kind, count, retry_after_s))

    # --- webhooks --------------------------------------------------------------------------------------

    def order_url(self, order_id: str, host: str | None = None) -> str:
        return f"{host or self.public_url}/v3/orders/{order_id}/"

    def attendee_url(self, attendee_id: str, host: str | None = None) -> str:
        event_id = self.attendees[attendee_id]["event_id"]
        return f"{host or self.public_url}/v3/events/{event_id}/attendees/{attendee_id}/"

    def delivery(self, action: str, api_url: str, endpoint_url: str) -> dict[str, Any]:
        """The whole body Eventbrite posts: the changed object's ``api_url`` and the webhook's config."""
        config = {"action": action, "endpoint_url": endpoint_url, "user_id": self.user_id, "webhook_id": "4578092"}
        return {"api_url": api_url, "config": config}

    def emit(self, endpoint_url: str, action: str, api_url: str, times: int = 1) -> list[requests.Response]:
        """POST the delivery ``times`` times (Eventbrite retries; receivers see duplicates)."""
        body = self.delivery(action, api_url, endpoint_url)
        return [requests.post(endpoint_url, json=body, timeout=10) for _ in range(times)]

    # --- the API ---------------------------------------------------------------------------------------

    def app(self) -> Flask:
        app = Flask("eventbrite_fake")
        app.before_request(self._gate)
        app.add_url_rule("/v3/users/me/organizations/", view_func=self._organizations)
        app.add_url_rule("/v3/organizations/<org_id>/events/", view_func=self._events)
        app.add_url_rule("/v3/organizations/<org_id>/attendees/", view_func=self._org_attendees)
        app.add_url_rule("/v3/events/<event_id>/", view_func=self._event)
        app.add_url_rule("/v3/events/<event_id>/attendees/", view_func=self._event_attendees)
        app.add_url_rule("/v3/events/<event_id>/attendees/<attendee_id>/", view_func=self._attendee)
        app.add_url_rule("/v3/orders/<order_id>/", view_func=self._order)
        return app

    def _gate(self) -> Response | None:
        """Auth, then injected faults, then the hourly quota: in that order, like a gateway in front of the API."""
        with self._lock:
            self.requests.append(request.full_path)
            sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip() or request.args.get("token")
            if not sent:
                return error("no_auth")
            if not secrets.compare_digest(sent, self.token):
                return error("invalid_auth")
            if self._faults:
                fault = self._faults[0]
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.pop(0)
                return error(fault.kind, fault.retry_after_s)
            now = time.monotonic()
            while self._calls and now - self._calls[0] > 3600:
                self._calls.popleft()
            if len(self._calls) >= self.hourly_limit:
                return error("rate_limit")
            self._calls.append(now)
        return None

    def _organizations(self) -> Response:
        return self._page("organizations", [self.organization])

    def _events(self, org_id: str) -> Response:
        if org_id != self.organization["id"]:
            return error("not_found", description="The organization you requested does not exist.")
        size = min(int(request.args.get("page_size", "50")), 200)
        return self._page("events", list(self.events.values()), size)

    def _org_attendees(self, org_id: str) -> Response:
        if org_id != self.organization["id"]:
            return error("not_found", description="The organization you requested does not exist.")
        return self._attendee_page(list(self.attendees.values()))

    def _event(self, event_id: str) -> Response:
        event = self.events.get(event_id)
        return jsonify(event) if event else error("not_found", description="The event you requested does not exist.")

    def _event_attendees(self, event_id: str) -> Response:
        if event_id not in self.events:
            return error("not_found", description="The event you requested does not exist.")
        return self._attendee_page([a for a in self.attendees.values() if a["event_id"] == event_id])

    def _attendee(self, event_id: str, attendee_id: str) -> Response:
        attendee = self.attendees.get(attendee_id)
        if attendee is None or attendee["event_id"] != event_id:
            return error("not_found", description="The attendee you requested does not exist.")
        return jsonify(self._expand(dict(attendee), {"event": self.events[event_id]}))

    def _order(self, order_id: str) -> Response:
        order = self.orders.get(order_id)
        if order is None:
            return error("not_found", description="The order you requested does not exist.")
        people = [a for a in self.attendees.values() if a["order_id"] == order_id]
        return jsonify(self._expand(dict(order), {"attendees": people, "event": self.events[order["event_id"]]}))

    @staticmethod
    def _expand(document: dict[str, Any], expansions: dict[str, Any]) -> dict[str, Any]:
        """Related objects appear only when asked for with ``expand=a,b``."""
        wanted = {part.strip() for part in request.args.get("expand", "").split(",") if part.strip()}
        document.update({name: value for name, value in expansions.items() if name in wanted})
        return document

    def _attendee_page(self, rows: list[dict[str, Any]]) -> Response:
        since = request.args.get("changed_since")
        if since:
            try:
                cutoff = datetime.strptime(since, samples.STAMP)
            except ValueError:
                return arguments_error("changed_since")
            rows = [a for a in rows if datetime.strptime(a["changed"], samples.STAMP) >= cutoff]
        status = request.args.get("status")
        if status == "attending":
            rows = [a for a in rows if a["status"] in ("Attending", "Checked In")]
        elif status == "not_attending":
            rows = [a for a in rows if a["status"] in ("Not Attending", "Deleted")]
        return self._page("attendees", rows, self.page_size)

    def _page(self, key: str, rows: list[dict[str, Any]], size: int = 50) -> Response:
        """``continuation`` is opaque and bound to the query it came from; the last page has none."""
        query = f"{request.path}?" + "&".join(
            f"{k}={v}" for k, v in sorted(request.args.items()) if k not in ("continuation", "token")
        )
        offset = 0
        token = request.args.get("continuation")
        if token:
            saved = self._continuations.get(token)
            if saved is None or saved[0] != query:
                return arguments_error("continuation")
            offset = saved[1]
        more = offset + size < len(rows)
        pagination: dict[str, Any] = {
            "object_count": len(rows),
            "page_number": offset // size + 1,
            "page_size": size,
            "page_count": max(1, math.ceil(len(rows) / size)),
            "has_more_items": more,
        }
        if more:
            pagination["continuation"] = next_token = secrets.token_urlsafe(12)
            self._continuations[next_token] = (query, offset + size)
        return jsonify({"pagination": pagination, key: rows[offset : offset + size]})
