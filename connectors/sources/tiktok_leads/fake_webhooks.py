"""The fake's webhook emitter: signed lead notifications in configurable (unconfirmed upstream) shapes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests

from connectors.sources.tiktok_leads import signature


@dataclass(frozen=True)
class WebhookScheme:
    """How deliveries look: TikTok has not published the lead webhook, so every part is a choice."""

    header: str = "TikTok-Signature"
    scheme: str = "raw"  # raw | timestamped (see signature.py)
    shape: str = "flat"  # flat | nested | content
    numeric_ids: bool = False  # ids as JSON numbers (above 2^53) instead of strings


def payload(lead: dict[str, Any], shape: str, numeric_ids: bool, now: int) -> dict[str, Any]:
    def ident(value: str) -> str | int:
        return int(value) if numeric_ids else value

    core = {
        "lead_id": ident(lead["lead_id"]),
        "advertiser_id": ident(lead["advertiser_id"]),
        "page_id": ident(lead["page_id"]),
        "create_time": now,
    }
    if shape == "nested":
        return {"event_type": "LEAD", "object": "LEAD", "data": core}
    if shape == "content":  # TikTok for Developers' envelope: the event as a JSON string
        return {"client_key": "sandbox-app", "event": "lead.create", "create_time": now, "content": json.dumps(core)}
    return core


def delivery(lead: dict[str, Any], secret: str, scheme: WebhookScheme, now: int) -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload(lead, scheme.shape, scheme.numeric_ids, now), separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", scheme.header: signature.sign(body, secret, scheme.scheme, now)}
    return headers, body


def emit(url: str, deliveries: list[tuple[dict[str, str], bytes]], duplicates: int = 0) -> list[int]:
    """POST each delivery ``1 + duplicates`` times, as an at-least-once sender does; the statuses, in order."""
    statuses = []
    with requests.Session() as session:
        for headers, body in deliveries:
            for _ in range(1 + duplicates):
                statuses.append(session.post(url, data=body, headers=headers, timeout=10).status_code)
    return statuses
