"""Test helpers: signed form posts, and a vendor receiver that verifies with the reference library."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, request
from standardwebhooks import Webhook

from connectors.sources.form_webhook import signature

FIXTURES = Path(__file__).resolve().parent.parent / "connectors" / "sources" / "form_webhook" / "fixtures"
SIGNING_SECRET = "test-signing-secret"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def signed_headers(body: bytes, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    return {"content-type": "application/json", signature.HEADER: signature.sign(body, secret, timestamp)}


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


@dataclass
class Arrival:
    headers: dict[str, str]
    body: bytes
    verified: bool


@dataclass
class Receiver:
    """A vendor endpoint: verifies with ``standardwebhooks`` and answers from a script of statuses."""

    secrets: list[str]
    script: list[int] = field(default_factory=list)
    retry_after: str | None = None
    arrivals: list[Arrival] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Flask:
        app = Flask("receiver")

        @app.post("/hook")
        def hook() -> Any:
            raw = request.get_data()
            headers = dict(request.headers)
            verified = False
            for secret in self.secrets:
                try:
                    Webhook(secret).verify(raw, headers)
                    verified = True
                except Exception:
                    continue
            with self.lock:
                self.arrivals.append(Arrival(headers, raw, verified))
                status = self.script.pop(0) if self.script else 200
            extra = {"Retry-After": self.retry_after} if self.retry_after and status == 429 else {}
            return ("ok" if status < 300 else "nope"), status, extra

        return app

    def ids(self) -> list[str]:
        with self.lock:
            return [a.headers["Webhook-Id"] for a in self.arrivals]
