"""Meta's webhook delivery (``object=page``, ``entry[].changes[]``): typed where we rely on it, extras kept."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.sources.base import Notice
from core.errors import PayloadMalformed


class LeadgenValue(BaseModel):
    """A ``leadgen`` change names a lead; ids arrive as strings or (older senders) numbers; ``ad_id`` 0 is organic."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    leadgen_id: str = Field(min_length=1, max_length=40, pattern=r"^[0-9]+$")
    page_id: str | None = None
    form_id: str | None = None
    ad_id: str | None = None
    adgroup_id: str | None = None
    created_time: int | None = None


class Change(BaseModel):
    model_config = ConfigDict(extra="allow")

    field: str
    value: Any = None


class Entry(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: str
    time: int | None = None
    changes: list[Change] = Field(default_factory=list)


class Delivery(BaseModel):
    model_config = ConfigDict(extra="allow")

    object: str
    entry: list[Entry]


def parse(body: bytes) -> Delivery:
    try:
        document = json.loads(body)
    except UnicodeDecodeError:
        raise PayloadMalformed("Body is not UTF-8 encoded JSON.") from None
    except json.JSONDecodeError as exc:
        raise PayloadMalformed(f"Malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.") from None
    try:
        return Delivery.model_validate(document)
    except ValidationError as exc:
        raise PayloadMalformed(f"Not a Meta webhook delivery: {_problems(exc)}.") from None


def notices(body: bytes) -> list[Notice]:
    """One notice per ``leadgen`` change; other change fields (page feed, …) are acknowledged and skipped."""
    delivery = parse(body)
    out: list[Notice] = []
    for i, entry in enumerate(delivery.entry):
        for j, change in enumerate(entry.changes):
            if change.field != "leadgen":
                out.append(Notice(f"{change.field}:{entry.id}:{entry.time or 0}", action="ignored"))
                continue
            try:
                value = LeadgenValue.model_validate(change.value)
            except ValidationError as exc:
                problems = _problems(exc)
                raise PayloadMalformed(f"entry[{i}].changes[{j}].value is not a leadgen change: {problems}.") from None
            out.append(Notice(value.leadgen_id, action="created"))
    return out


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
