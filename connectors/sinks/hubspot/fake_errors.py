"""The HubSpot fake's error answers, in HubSpot's own envelope (``status``, ``message``, ``correlationId``,
``category``, optional ``context`` / ``errors``), including the JSON-inside-a-string ``message`` of
``Property values were not valid: [...]``."""

from __future__ import annotations

import json
import uuid
from typing import Any

AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more "
    "details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
NOT_FOUND_MESSAGE = "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid."


class HubSpotError(Exception):
    """An error answer: ``status`` for a whole call; :meth:`entry` for one input of a multi-status batch."""

    def __init__(self, status: int, category: str | None, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.category, self.message, self.extra = status, category, message, extra
        self.headers: dict[str, str] = {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "error", "message": self.message, "correlationId": str(uuid.uuid4())}
        if self.category:
            body["category"] = self.category
        return {**body, **self.extra}

    def entry(self, trace: str | None) -> dict[str, Any]:
        """This error as one element of a 207 answer's ``errors``, tied to its input by ``objectWriteTraceId``."""
        context = {k: list(v) for k, v in dict(self.extra.get("context") or {}).items()}
        if trace:
            context["objectWriteTraceId"] = [trace]
        entry = {"status": "error", "category": self.category or "VALIDATION_ERROR", "message": self.message}
        return {**entry, "context": context, **{k: v for k, v in self.extra.items() if k != "context"}}


def problem(name: str, error: str, message: str) -> dict[str, Any]:
    """One entry of the JSON list HubSpot embeds in the ``message`` string."""
    return {"isValid": False, "message": message, "error": error, "name": name, "localizedErrorMessage": message}


def invalid_properties(problems: list[dict[str, Any]]) -> HubSpotError:
    text = json.dumps(problems, separators=(",", ":"), ensure_ascii=False)
    return HubSpotError(400, "VALIDATION_ERROR", f"Property values were not valid: {text}")


def conflict(existing_id: str) -> HubSpotError:
    return HubSpotError(409, "CONFLICT", f"Contact already exists. Existing ID: {existing_id}")


def duplicate_ids(ids: list[str]) -> HubSpotError:
    message = f"Duplicate IDs found in batch input: [{', '.join(ids)}]. IDs must be unique"
    return HubSpotError(400, "VALIDATION_ERROR", message, context={"ids": ids})


def not_found(ids: list[str]) -> HubSpotError:
    return HubSpotError(404, "OBJECT_NOT_FOUND", NOT_FOUND_MESSAGE, context={"ids": ids})


def validation(message: str, **extra: Any) -> HubSpotError:
    return HubSpotError(400, "VALIDATION_ERROR", message, **extra)


def unauthenticated(expired: bool = False) -> HubSpotError:
    if expired:
        message = "The OAuth token used to make this call expired 1 hour(s) ago."
        return HubSpotError(401, "EXPIRED_AUTHENTICATION", message)
    return HubSpotError(401, "INVALID_AUTHENTICATION", AUTH_MESSAGE)


def missing_scopes(scope: str) -> HubSpotError:
    message = (
        "This app hasn't been granted all required scopes to make this call. Read more about required scopes "
        "here: https://developers.hubspot.com/scopes."
    )
    detail = {"message": "One or more of the following scopes are required.",
              "context": {"requiredGranularScopes": [scope]}}
    links = {"scopes": "https://developers.hubspot.com/scopes"}
    return HubSpotError(403, "MISSING_SCOPES", message, errors=[detail], links=links)


def rate_limited(policy: str) -> HubSpotError:
    """429 as HubSpot sends it: no ``category``, but ``errorType`` and ``policyName``."""
    limit = "daily" if policy == "DAILY" else "ten_secondly_rolling"
    return HubSpotError(429, None, f"You have reached your {limit} limit.", errorType="RATE_LIMIT", policyName=policy)


def property_exists(name: str) -> HubSpotError:
    return HubSpotError(409, "OBJECT_ALREADY_EXISTS", f"Property named '{name}' already exists.")


def group_exists(name: str) -> HubSpotError:
    return HubSpotError(409, "OBJECT_ALREADY_EXISTS", f"A property group named '{name}' already exists.")


def server_error() -> HubSpotError:
    return HubSpotError(500, "INTERNAL_ERROR", "internal error")
