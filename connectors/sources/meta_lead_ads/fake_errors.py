"""The Graph API's error envelopes and usage headers, as the sandbox fake sends them (sources.md §1, §8)."""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from typing import Any

# code → (message, usage header the platform announces the wait in, BUC type)
RATE_LIMITS: dict[int, tuple[str, str | None, str]] = {
    4: ("(#4) Application request limit reached", None, "app"),
    17: ("(#17) User request limit reached", None, "app"),
    32: ("(#32) Page request limit reached", "buc", "pages"),
    613: ("(#613) Calls to this api have exceeded the rate limit.", None, "custom"),
    80005: (
        "(#80005) There have been too many leadgen api calls to this Page. Please wait a bit and try again.",
        "buc",
        "leadgen",
    ),
}
FAULT_KINDS = ("rate_limit", "token_expired", "session_invalid", "reduce_data", "unknown_id", "transient")


@dataclass
class GraphError(Exception):
    """A Graph API error answer: HTTP status, the ``{"error": {...}}`` body and extra headers."""

    status: int
    error: dict[str, Any]
    headers: dict[str, str] | None = None

    def body(self) -> dict[str, Any]:
        return {"error": {**self.error, "fbtrace_id": uuid.uuid4().hex[:11].upper()}}


def oauth(message: str, code: int, subcode: int | None = None, status: int = 400, **extra: Any) -> GraphError:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, **extra}
    if subcode is not None:
        error["error_subcode"] = subcode
    return GraphError(status, error)


def invalid_parameter(message: str) -> GraphError:
    return oauth(f"(#100) {message}", 100)


def unknown_object(node_id: str) -> GraphError:
    return GraphError(
        400,
        {
            "message": f"Unsupported get request. Object with ID '{node_id}' does not exist, cannot be loaded due to "
            "missing permissions, or does not support this operation. Please read the Graph API "
            "documentation at https://developers.facebook.com/docs/graph-api",
            "type": "GraphMethodException",
            "code": 100,
            "error_subcode": 33,
        },
    )


def token_missing() -> GraphError:
    return oauth("An access token is required to request this resource.", 104)


def token_invalid() -> GraphError:
    return oauth("Invalid OAuth access token - Cannot parse access token", 190)


def token_expired() -> GraphError:
    return oauth(
        "Error validating access token: Session has expired on Tuesday, 03-Mar-26 02:00:00 PST. "
        "The current time is Wednesday, 04-Mar-26 09:12:44 PST.",
        190,
        463,
        error_user_title="Session expired",
        error_user_msg="Your session has expired. Please log in again.",
    )


def session_invalid() -> GraphError:
    return oauth("Session key invalid or no longer valid", 102)


def reduce_data() -> GraphError:
    return GraphError(
        500,
        {
            "message": "Please reduce the amount of data you're asking for, then retry your request",
            "type": "OAuthException",
            "code": 1,
            "is_transient": True,
        },
    )


def transient() -> GraphError:
    return GraphError(
        500,
        {
            "message": "An unexpected error has occurred. Please retry your request later.",
            "type": "OAuthException",
            "code": 2,
            "is_transient": True,
        },
    )


def buc_header(page_id: str, kind: str, minutes: int, call_count: int = 100) -> str:
    """``X-Business-Use-Case-Usage``: an array per business id; ``estimated_time_to_regain_access`` in minutes."""
    usage = {
        "type": kind,
        "call_count": call_count,
        "total_cputime": 12,
        "total_time": 17,
        "estimated_time_to_regain_access": minutes,
    }
    return json.dumps({page_id: [usage]}, separators=(",", ":"))


def app_usage_header(percent: int) -> str:
    return json.dumps(
        {"call_count": percent, "total_cputime": percent // 3, "total_time": percent // 2}, separators=(",", ":")
    )


def rate_limited(code: int, page_id: str, remaining_s: float, time_scale: float) -> GraphError:
    """HTTP 400 (never 429, no Retry-After); the wait is announced in minutes in the BUC header where Meta does."""
    message, header, kind = RATE_LIMITS[code]
    minutes = max(1, math.ceil(remaining_s / (60 * time_scale) - 1e-6))
    headers = {"X-App-Usage": app_usage_header(100)}
    if header == "buc":
        headers["X-Business-Use-Case-Usage"] = buc_header(page_id, kind, minutes)
    error = GraphError(400, {"message": message, "type": "OAuthException", "code": code, "is_transient": True})
    error.headers = headers
    return error
