"""The LinkedIn fake's lead notifications: endpoint validation by ``challengeCode``, then signed ``LEAD_ACTION``s.

Like LinkedIn: a webhook gets notifications only after it answered a ``challengeCode`` GET correctly within
3 seconds; validation repeats (every 2 hours upstream; ``revalidate`` here) and three failures in a row block the
endpoint. Deliveries are signed with ``X-LI-Signature`` and may be sent more than once (``copies``).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

from connectors.sources.linkedin_lead_gen import fake_seed
from connectors.sources.linkedin_lead_gen.signature import DEFAULT_PREFIX, HEADER, challenge_response, sign

DEADLINE_S = 3.0
BLOCK_AFTER = 3


@dataclass
class Endpoint:
    url: str
    validated: bool = False
    failures: int = 0
    blocked: bool = False
    history: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Delivery:
    status: int
    body: bytes
    answer: Any


def validate(endpoint: Endpoint, client_secret: str, deadline_s: float = DEADLINE_S) -> bool:
    """One ``GET ?challengeCode=<uuid4>``: 200, JSON echoing the code, the right HMAC, within the deadline."""
    code = str(uuid.uuid4())
    started = time.monotonic()
    try:
        response = requests.get(endpoint.url, params={"challengeCode": code}, timeout=deadline_s)
        elapsed = time.monotonic() - started
        answer = response.json() if response.status_code == 200 else {}
    except (requests.RequestException, ValueError) as exc:
        return _record(endpoint, f"failed: {type(exc).__name__}")
    expected = challenge_response(code, client_secret)
    if elapsed > deadline_s:
        return _record(endpoint, f"failed: answered after {elapsed:.1f} s")
    if answer.get("challengeCode") != code or answer.get("challengeResponse") != expected:
        return _record(endpoint, f"failed: HTTP {response.status_code}, wrong challenge answer")
    return _record(endpoint, "passed")


def _record(endpoint: Endpoint, outcome: str) -> bool:
    endpoint.history.append(outcome)
    if outcome == "passed":
        endpoint.validated, endpoint.failures = True, 0
        return True
    endpoint.failures += 1
    if endpoint.failures >= BLOCK_AFTER:
        endpoint.blocked = True  # "This URL did not pass the security challenge check"
    return False


def lead_action(lead_id: str, action: str, form_urn: str | None = None, occurred_at_ms: int | None = None) -> bytes:
    """The notification body, serialised once: these exact bytes are signed and sent."""
    document = {
        "type": "LEAD_ACTION",
        "leadGenFormResponse": f"urn:li:leadGenFormResponse:{lead_id}",
        "owner": {"sponsoredAccount": fake_seed.ACCOUNT_URN},
        "associatedEntity": {"associatedCreative": fake_seed.CREATIVES[0]},
        "leadGenForm": form_urn,
        "leadType": "SPONSORED",
        "leadAction": action,
        "occurredAt": occurred_at_ms if occurred_at_ms is not None else int(time.time() * 1000),
    }
    return json.dumps({k: v for k, v in document.items() if v is not None}, separators=(",", ":")).encode()


def deliver(
    endpoint: Endpoint,
    body: bytes,
    client_secret: str,
    prefix: str = DEFAULT_PREFIX,
    copies: int = 1,
    signature: str | None = None,
) -> list[Delivery]:
    """POST ``body`` ``copies`` times (LinkedIn may deliver twice); nothing goes to an unvalidated endpoint."""
    if not endpoint.validated or endpoint.blocked:
        return []
    header = signature if signature is not None else sign(body, client_secret, prefix)
    out = []
    for _ in range(copies):
        response = requests.post(
            endpoint.url, data=body, headers={"Content-Type": "application/json", HEADER: header}, timeout=10
        )
        try:
            answer: Any = response.json()
        except ValueError:
            answer = response.text
        out.append(Delivery(response.status_code, body, answer))
    return out
