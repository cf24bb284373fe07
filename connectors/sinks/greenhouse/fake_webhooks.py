"""The fake's web hook emitter: Greenhouse's application events (``candidate_stage_change``, ``hire_candidate``,
``reject_candidate``, ``new_candidate_application``, ``new_prospect_application``, ``offer_created``, ``ping`` …) as
JSON with Unicode and ``<>&`` escaped (Ruby's ``to_json``), signed ``Signature: sha256 <hex HMAC of the body>``,
with a ``Greenhouse-Event-ID``. Anything but HTTP 200 counts as failed and is retried 1, 15, 60, 120, 240 and
480 minutes later (Greenhouse's documented schedule, on the fake's clock)."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests

from connectors.sinks.greenhouse import fake_shapes as shapes

if TYPE_CHECKING:
    from connectors.sinks.greenhouse.fake import GreenhouseFake

RETRY_DELAY_MINUTES = (1, 15, 60, 120, 240, 480)


def encode(document: dict[str, Any]) -> bytes:
    text = json.dumps(document, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def signature(body: bytes, secret: str) -> str:
    return "sha256 " + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Sent:
    url: str
    action: str
    event_id: str
    status: int | None
    attempt: int
    body: bytes
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        return self.status == 200  # the docs: "a non HTTP 200 response" is a failure [UNCONFIRMED for 2xx]


class Emitter:
    def __init__(self, fake: GreenhouseFake) -> None:
        self.fake = fake
        self.sent: list[Sent] = []
        self.retries: list[tuple[float, Sent]] = []  # due (fake clock), the failed delivery

    def payload(self, action: str, application_id: int | None = None) -> dict[str, Any]:
        org = self.fake.org
        if action == "ping":
            return {"action": "ping", "payload": {"web_hook_id": 4711}}
        application = org.applications[int(application_id or 0)]
        if action in ("offer_created", "offer_approved"):
            return {"action": action, "payload": {
                "id": 506409, "application_id": application["id"], "job_id": application["job_ids"][0],
                "user_id": 4080, "version": 1, "sent_on": None, "resolved_at": None, "start_date": None,
                "notes": None, "offer_status": "Created", "custom_fields": {}}}
        return {"action": action, "payload": {"application": shapes.webhook_application(org, application)}}

    def signed(self, action: str, application_id: int | None, secret: str) -> tuple[bytes, dict[str, str]]:
        """The exact bytes and headers Greenhouse would POST (for a test client)."""
        body = encode(self.payload(action, application_id))
        return body, self._headers(body, secret, str(uuid.uuid4()))

    def send(self, url: str, action: str, application_id: int | None, secret: str) -> Sent:
        """POST the event to ``url`` now; a failure is queued for Greenhouse's retries."""
        body, headers = self.signed(action, application_id, secret)
        return self._post(url, action, body, headers, 1)

    def retry_due(self) -> list[Sent]:
        """Send the retries that are due on the fake's clock."""
        due = [(at, s) for at, s in self.retries if at <= self.fake.now()]
        self.retries = [(at, s) for at, s in self.retries if at > self.fake.now()]
        return [self._post(s.url, s.action, s.body, s.headers, s.attempt + 1) for _, s in due]

    @staticmethod
    def _headers(body: bytes, secret: str, event_id: str) -> dict[str, str]:
        return {"Content-Type": "application/json", "User-Agent": "Greenhouse", "Greenhouse-Event-ID": event_id,
                "Signature": signature(body, secret)}

    def _post(self, url: str, action: str, body: bytes, headers: dict[str, str], attempt: int) -> Sent:
        try:
            status: int | None = requests.post(url, data=body, headers=headers, timeout=10).status_code
        except requests.RequestException:
            status = None
        sent = Sent(url, action, headers["Greenhouse-Event-ID"], status, attempt, body, headers)
        self.sent.append(sent)
        if not sent.ok and attempt <= len(RETRY_DELAY_MINUTES):
            self.retries.append((self.fake.now() + RETRY_DELAY_MINUTES[attempt - 1] * 60, sent))
        return sent
