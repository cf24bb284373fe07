"""The ``LEAD_ACTION`` push: typed where we rely on it, LinkedIn's other fields kept; it only names a lead."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from connectors.sources.base import Notice
from core.errors import PayloadMalformed

URN_PREFIX = "urn:li:leadGenFormResponse:"
ACTIONS = {"CREATED": "created", "DELETED": "deleted"}


class LeadAction(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["LEAD_ACTION"]
    leadGenFormResponse: str
    leadAction: Literal["CREATED", "DELETED"]
    occurredAt: int | None = None
    leadType: str | None = None
    leadGenForm: str | None = None

    @field_validator("leadGenFormResponse")
    @classmethod
    def _is_a_response_urn(cls, value: str) -> str:
        if not value.startswith("urn:li:") or not response_id(value):
            raise ValueError("expected a lead form response URN such as urn:li:leadGenFormResponse:<id>")
        return value


def response_id(urn_or_id: str) -> str:
    """The bare id of a lead form response, from its URN or from the id itself."""
    return urn_or_id.rsplit(":", 1)[-1].strip() if urn_or_id.startswith("urn:") else urn_or_id.strip()


def response_urn(urn_or_id: str) -> str:
    """One spelling of the key for push and pull alike: ``urn:li:leadGenFormResponse:<id>``."""
    return URN_PREFIX + response_id(urn_or_id)


def _documents(body: bytes) -> list[dict[str, Any]]:
    try:
        document: Any = json.loads(body)
    except UnicodeDecodeError:
        raise PayloadMalformed("Body is not UTF-8 encoded JSON.") from None
    except json.JSONDecodeError as exc:
        raise PayloadMalformed(f"Malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.") from None
    items = document if isinstance(document, list) else [document]
    if not items or not all(isinstance(item, dict) for item in items):
        raise PayloadMalformed("Expected a LinkedIn notification object (or a list of them).")
    return items


def _lead_action(item: dict[str, Any]) -> LeadAction:
    try:
        return LeadAction.model_validate(item)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise PayloadMalformed(f"Not a valid LinkedIn LEAD_ACTION notification: {problems}.") from None


def notices(body: bytes) -> list[Notice]:
    """CREATED → fetch the lead; DELETED → the framework anonymises it; other types or actions are acknowledged
    and ignored (LinkedIn may add some). Keyed by the response URN; errors name the line, column or field."""
    out = []
    for item in _documents(body):
        kind, action = item.get("type"), item.get("leadAction")
        if kind != "LEAD_ACTION" or (isinstance(action, str) and action not in ACTIONS):
            out.append(Notice(str(item.get("leadGenFormResponse") or kind or "unknown"), "ignored"))
            continue
        lead = _lead_action(item)
        out.append(Notice(response_urn(lead.leadGenFormResponse), ACTIONS[lead.leadAction]))
    return out
