"""A toy pull source (fake API + manifest) to test the pull adapter independently of any platform."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request

from mappings.spec import MappingSpec

NAME = "toy_source"
DESCRIPTION = "test only"
DIRECTION = "source"
SECRET_FIELDS = ("access_token",)
MANIFEST = Path(__file__).parent / "manifest.yaml"
RECORD_STREAM = "leads"


def default_mapping() -> MappingSpec:
    return MappingSpec.model_validate(
        {
            "fields": {
                "external_id": {"path": "id"},
                "captured_at": {"path": "created_time", "transforms": ["timestamp"]},
                "person.email": {"path": "email", "transforms": ["email"]},
            }
        }
    )


def source_config(conn: Any) -> dict[str, Any]:
    return {
        "base_url": conn.settings["base_url"],
        "access_token": conn.secrets["access_token"],
        "start_date": "2026-01-01T00:00:00Z",
    }


def record_id(record: dict[str, Any]) -> str:
    return str(record["id"])


class ToyApi:
    """Leads with created_time; cursor paging with absolute next URLs; 401 on a wrong token."""

    def __init__(self, token: str = "good") -> None:
        self.token = token
        self.leads: list[dict[str, Any]] = []
        self.requests: list[str] = []

    def add(self, n: int, at: int) -> None:
        start = len(self.leads)
        for i in range(start, start + n):
            ts = datetime.fromtimestamp(at + i, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
            self.leads.append({"id": f"L{i}", "created_time": ts, "email": f"p{i}@example.org"})

    def app(self) -> Flask:
        app = Flask("toy")

        @app.before_request
        def auth() -> Any:
            self.requests.append(request.full_path)
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return jsonify({"error": {"message": "Invalid OAuth access token.", "code": 190}}), 401
            return None

        @app.get("/forms")
        def forms() -> Any:
            return jsonify({"data": [{"id": "f1"}], "paging": {}})

        @app.get("/forms/f1/leads")
        def leads() -> Any:
            since = int(request.args.get("since", "0"))
            after = int(request.args.get("after", "0"))
            limit = int(request.args.get("limit", "3"))
            rows = [
                lead
                for lead in self.leads
                if datetime.strptime(lead["created_time"], "%Y-%m-%dT%H:%M:%S%z").timestamp() >= since
            ]
            page = rows[after : after + limit]
            paging: dict[str, Any] = {}
            if after + limit < len(rows):
                paging["next"] = f"{request.host_url}forms/f1/leads?since={since}&limit={limit}&after={after + limit}"
            return jsonify({"data": page, "paging": paging})

        return app
