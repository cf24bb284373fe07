"""Eventbrite's error envelopes and the faults the sandbox can inject (``fake.fail_next``)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import Response

# Real envelope: {"status_code": 401, "error": "INVALID_AUTH", "error_description": "…"}. [mem; UNCONFIRMED texts]
ENVELOPES = {
    "no_auth": (401, "NO_AUTH", "An OAuth token is required for all requests"),
    "invalid_auth": (401, "INVALID_AUTH", "The OAuth token you provided was invalid."),
    "rate_limit": (
        429,
        "HIT_RATE_LIMIT",
        "Hourly rate limit has been reached for this token. Default rate limits are 2,000 calls per hour.",
    ),
    "not_found": (404, "NOT_FOUND", "The object you requested does not exist."),
    "server_error": (500, "INTERNAL_ERROR", "An internal error has occurred."),
}
KINDS = tuple(ENVELOPES)


@dataclass
class Fault:
    kind: str
    remaining: int
    retry_after_s: float | None = None  # announced in Retry-After when set (Eventbrite's header is unconfirmed)


def error(kind: str, retry_after_s: float | None = None, description: str | None = None) -> Response:
    status, code, text = ENVELOPES[kind]
    body = {"status_code": status, "error": code, "error_description": description or text}
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    if retry_after_s is not None:
        response.headers["Retry-After"] = f"{retry_after_s:g}"
    return response


def arguments_error(field: str) -> Response:
    """A bad argument (a malformed ``changed_since`` or an unknown ``continuation``) is a 400."""
    body = {
        "status_code": 400,
        "error": "ARGUMENTS_ERROR",
        "error_description": f"There are errors with your arguments: {field} - INVALID",
        "error_detail": {"ARGUMENTS_ERROR": {field: ["INVALID"]}},
    }
    return Response(json.dumps(body), status=400, mimetype="application/json")
