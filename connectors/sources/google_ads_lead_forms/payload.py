"""Google's ``WebhookLead``: typed where we rely on it, extras kept, int64 ids exact (never a float)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import PayloadMalformed

# int64 in Google's proto: above 2**53 a float (or a JavaScript number) silently changes the last digits.
INT64_FIELDS = ("form_id", "campaign_id", "adgroup_id", "creative_id", "asset_group_id")


class ColumnData(BaseModel):
    """One answer: ``column_id`` names standard questions (``EMAIL``), ``column_name`` is the question text."""

    model_config = ConfigDict(extra="allow")

    column_id: str | None = None
    column_name: str | None = None
    string_value: str | None = None


class WebhookLead(BaseModel):
    model_config = ConfigDict(extra="allow")

    lead_id: str = Field(min_length=1, max_length=200, coerce_numbers_to_str=True)
    api_version: str | None = None
    google_key: str | None = None
    is_test: bool = False
    gcl_id: str | None = None
    lead_submit_time: str | None = None
    user_column_data: list[ColumnData] = Field(default_factory=list)


def _no_constant(name: str) -> Any:
    raise PayloadMalformed(f"Malformed JSON: {name} is not a JSON number.")


def load(body: bytes) -> dict[str, Any]:
    """The JSON object as sent; numbers with a fraction or exponent stay Decimals so nothing passes through float."""
    try:
        document = json.loads(body, parse_float=Decimal, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise PayloadMalformed("Body is not UTF-8 encoded JSON.") from None
    except json.JSONDecodeError as exc:
        raise PayloadMalformed(f"Malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.") from None
    if not isinstance(document, dict):
        raise PayloadMalformed("Expected a JSON object (Google's WebhookLead) with lead_id, google_key …")
    return document


def check_ids(document: dict[str, Any]) -> None:
    """Ids are JSON integers or digit strings; anything else would not survive as an exact id."""
    for name in INT64_FIELDS:
        value = document.get(name)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            continue
        if isinstance(value, str) and value.isdigit():
            continue
        raise PayloadMalformed(f"{name} must be an integer id (int64), got {value!r}.")


def parse(body: bytes) -> WebhookLead:
    """Validate the body; the error says where the JSON breaks or which field is wrong."""
    document = load(body)
    check_ids(document)
    try:
        return WebhookLead.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise PayloadMalformed(f"WebhookLead is invalid: {problems}.") from None
