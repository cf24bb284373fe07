"""JSON Schema of each event's body (the Standard Webhooks envelope around its ``data`` model), for vendors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.schema import SCHEMA_VERSION
from webhooks.event_models import EVENT_MODELS
from webhooks.events import EVENT_TYPES


def document(event_type: str) -> dict[str, Any]:
    """The schema of one event type's whole body: ``type`` fixed, ``timestamp``, ``data`` = its model."""
    model = EVENT_MODELS.get(event_type)
    if model is None:
        raise ValueError(f"no schema for event type {event_type!r}; known: {', '.join(EVENT_MODELS)}")
    data = model.model_json_schema(ref_template="#/$defs/{model}", mode="serialization")
    defs = data.pop("$defs", {})
    defs[model.__name__] = data
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://leadhub.dev/schema/{SCHEMA_VERSION}/events/{event_type}.json",
        "title": event_type,
        "description": EVENT_TYPES[event_type],
        "version": SCHEMA_VERSION,
        "type": "object",
        "properties": {
            "type": {"const": event_type},
            "timestamp": {
                "type": "string",
                "format": "date-time",
                "description": "When the event happened (UTC); the same on every retry.",
            },
            "data": {"$ref": f"#/$defs/{model.__name__}"},
        },
        "required": ["type", "timestamp", "data"],
        "additionalProperties": False,
        "$defs": dict(sorted(defs.items())),
    }


def render(event_type: str) -> str:
    """The schema file's exact text (stable key order), so committed files can be compared byte for byte."""
    return json.dumps(document(event_type), indent=2, ensure_ascii=False) + "\n"


def filename(event_type: str) -> str:
    return f"{event_type}.json"


def write_all(directory: Path) -> list[Path]:
    """Write one ``<type>.json`` per event type that has a model into ``directory``; returns the files."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for event_type in EVENT_MODELS:
        path = directory / filename(event_type)
        path.write_text(render(event_type), encoding="utf-8")
        written.append(path)
    return written


def catalogue() -> list[dict[str, Any]]:
    """Every event type with its meaning and schema (``None`` for a type reserved but not sent yet)."""
    return [
        {"type": t, "description": d, "schema": document(t) if t in EVENT_MODELS else None}
        for t, d in EVENT_TYPES.items()
    ]
