"""A toy CRM sink (module + fake API) to test the delivery engine independently of any vendor."""

from __future__ import annotations

import itertools
from typing import Any

import requests
from flask import Flask, jsonify, request

from connectors.sinks.base import Item, SendResult, classify_status

NAME = "toy_sink"
DESCRIPTION = "test only"
DIRECTION = "sink"
SECRET_FIELDS = ("token",)
DEFAULT_ROUTE = {"events": ["lead.qualified"], "require_consent": ["recruiting_contact"], "include_test": False}
BATCH_SIZE = 10
RATE_LIMIT = (100.0, 100.0)


def _payload(item: Item) -> dict[str, Any]:
    person = item.data.get("person", {})
    return {"id": item.remote_ids.get("person"), "email": person.get("email"), "name": person.get("last_name")}


def _results(conn: Any, items: list[Item], http: requests.Session) -> list[SendResult]:
    response = http.post(
        f"{conn.settings['base_url']}/contacts/upsert",
        timeout=5,
        json={"inputs": [_payload(i) for i in items]},
        headers={"Authorization": f"Bearer {conn.secrets['token']}"},
    )
    outcome = classify_status(response.status_code)
    summary = f"POST /contacts/upsert ({len(items)} contacts)"
    if outcome != "delivered":
        error = f"HTTP {response.status_code}: {response.text[:200]}"
        return [
            SendResult(
                outcome, response.status_code, response.text[:200], summary, error, response.headers.get("Retry-After")
            )
            for _ in items
        ]
    ids = response.json()["ids"]
    return [SendResult("delivered", 200, None, summary, remote_id=str(i), remote_kind="contact") for i in ids]


def send(conn: Any, item: Item, http: requests.Session) -> SendResult:
    return _results(conn, [item], http)[0]


def send_batch(conn: Any, items: list[Item], http: requests.Session) -> list[SendResult]:
    return _results(conn, items, http)


class FakeCrm:
    def __init__(self) -> None:
        self.token = "t1"
        self.contacts: dict[str, dict[str, Any]] = {}
        self.calls: list[int] = []
        self.script: list[tuple[int, dict[str, str]]] = []
        self._ids = itertools.count(1000)

    def app(self) -> Flask:
        app = Flask("toy_crm")

        @app.post("/contacts/upsert")
        def upsert() -> Any:
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return jsonify({"message": "token revoked"}), 401
            if self.script:
                status, headers = self.script.pop(0)
                return jsonify({"message": "scripted"}), status, headers
            inputs = request.get_json()["inputs"]
            self.calls.append(len(inputs))
            ids = []
            for contact in inputs:
                existing = contact["id"] or next(
                    (k for k, v in self.contacts.items() if v["email"] == contact["email"]), None
                )
                contact_id = existing or str(next(self._ids))
                self.contacts[contact_id] = contact
                ids.append(contact_id)
            return jsonify({"ids": ids})

        return app
