"""Preview a draft mapping on stored raw records: the mapped output beside the raw record, every error by field."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import MappingError
from core.models import RawRecord
from core.schema import Lead
from mappings.apply import _set_dotted, map_fields
from mappings.spec import MappingSpec


@dataclass
class FieldError:
    field: str
    reason: str


@dataclass
class PreviewRow:
    raw_record_id: str
    raw: dict[str, Any]
    mapped: dict[str, Any] | None
    errors: list[FieldError] = field(default_factory=list)


def preview_record(spec: MappingSpec, record: dict[str, Any], received_at: datetime, **context: Any) -> PreviewRow:
    """Unlike :func:`apply_mapping`, keeps going after the first problem so the admin sees them all."""
    data: dict[str, Any] = {"captured_at": received_at}
    errors: list[FieldError] = []
    for target, rule in spec.fields.items():
        single = MappingSpec(fields={target: rule}, value_maps=spec.value_maps)
        try:
            mapped = map_fields(single, record)
        except MappingError as exc:
            errors.append(FieldError(exc.field or target, str(exc).removeprefix(f"{target}: ")))
            continue
        for key, value in mapped.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                for sub, subvalue in value.items():
                    _set_dotted(data, f"{key}.{sub}", subvalue)
            else:
                data[key] = value
    data.update({k: v for k, v in context.items() if v is not None})
    data.setdefault("person", {})
    try:
        lead = Lead.model_validate(data)
    except ValidationError as exc:
        errors += [FieldError(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
        return PreviewRow("", record, None, errors)
    return PreviewRow("", record, lead.model_dump(mode="json", exclude_none=True), errors)


def preview(session: Session, connection_id: str, source: str, spec: MappingSpec, limit: int = 20) -> list[PreviewRow]:
    """The latest ``limit`` stored records of a connection through ``spec`` (nothing is written)."""
    raws = session.scalars(
        select(RawRecord)
        .where(RawRecord.connection_id == connection_id, RawRecord.kind == "record")
        .order_by(RawRecord.received_at.desc())
        .limit(limit)
    ).all()
    rows = []
    for raw in raws:
        try:
            record = json.loads(raw.body)
        except ValueError as exc:
            rows.append(PreviewRow(raw.id, {}, None, [FieldError("(record)", f"not JSON: {exc}")]))
            continue
        row = preview_record(spec, record, raw.received_at, source=source)
        row.raw_record_id = raw.id
        rows.append(row)
    return rows
