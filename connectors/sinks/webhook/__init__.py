"""webhook: Standard Webhooks pushes of our events to vendor endpoints (signed, retried, same id)."""

from __future__ import annotations

import time

import requests

from connectors.sinks.base import SendResult
from webhooks import signing

NAME = "webhook"
DESCRIPTION = "Standard Webhooks (signed POSTs) of leadhub events to vendor endpoints."
DIRECTION = "sink"
SECRET_FIELDS: tuple[str, ...] = ()
USER_AGENT = "leadhub-webhooks/0.1"
EXCERPT = 500


def classify(status: int) -> str:
    if 200 <= status < 300:
        return "delivered"
    if status == 410:
        return "gone"
    if status in (408, 429) or status >= 500:
        return "transient"
    return "permanent"  # 3xx (redirects are not followed) and other 4xx


def send(
    http: requests.Session, url: str, msg_id: str, body: bytes, secrets: list[str], timeout_s: float
) -> SendResult:
    """POST once; the timestamp is this attempt's, so a retry is re-signed under the same ``webhook-id``."""
    headers = signing.headers(msg_id, int(time.time()), body, secrets)
    headers.update({"content-type": "application/json", "user-agent": USER_AGENT})
    summary = f"POST {url} webhook-id={msg_id} ({len(body)} bytes)"
    try:
        response = http.post(url, data=body, headers=headers, timeout=timeout_s, allow_redirects=False)
    except requests.Timeout:
        return SendResult("transient", None, None, summary, f"No answer within {timeout_s:g} s.")
    except requests.ConnectionError as exc:
        return SendResult("transient", None, None, summary, f"Could not connect: {type(exc).__name__}.")
    outcome = classify(response.status_code)
    error = None
    if outcome != "delivered":
        error = f"Endpoint answered HTTP {response.status_code}."
        if outcome == "gone":
            error += " 410 Gone means the vendor removed this endpoint; it has been disabled."
    return SendResult(
        outcome,
        response.status_code,
        response.text[:EXCERPT],
        summary,
        error,
        response.headers.get("retry-after"),
    )
