"""One row → the raw record body we store, checked with the connection's mapping before it is stored."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.sources.file_import import NAME
from connectors.sources.file_import.reader import normalise_header
from core.errors import MappingError
from core.schema import Lead
from mappings import transforms
from mappings.apply import apply_mapping
from mappings.spec import MappingSpec

MAX_EXTERNAL_ID = 200
DEFAULT_CONSENT_COLUMNS = {"einwilligung": "recruiting_contact", "consent": "recruiting_contact"}
CONTACT_TARGETS = ("person.email", "person.phone")


class RowInvalid(ValueError):
    """The row cannot become a lead; the message is the reason shown beside its line number."""


def row_hash(values: Mapping[str, Any]) -> str:
    """Stable id of a row's content: keys sorted, strings NFC-normalised and trimmed, empty cells left out."""
    content = {}
    for key, value in values.items():
        if isinstance(value, str):
            value = unicodedata.normalize("NFC", value).strip()
        if value not in ("", None) and not key.startswith("_"):
            content[key] = value
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape"))
    return "row_" + digest.hexdigest()[:32]


def consent_columns(settings: Mapping[str, Any]) -> dict[str, str]:
    """Column → consent purpose, from the setting ``consent_columns`` (a mapping or ``col=purpose,…``)."""
    configured = settings.get("consent_columns")
    if isinstance(configured, Mapping):
        pairs = [(str(column), str(purpose)) for column, purpose in configured.items()]
    elif isinstance(configured, str) and configured.strip():
        pairs = [(column, purpose) for column, _, purpose in (item.partition("=") for item in configured.split(","))]
    else:
        return dict(DEFAULT_CONSENT_COLUMNS)
    return {
        normalise_header(column): purpose.strip() or "recruiting_contact" for column, purpose in pairs if column.strip()
    }


def consents(values: Mapping[str, Any], columns: Mapping[str, str]) -> list[dict[str, Any]]:
    """A consent record per filled consent column (Ja/Nein, yes/no, x, 1/0); an empty cell says nothing."""
    out = []
    for column, purpose in columns.items():
        value = values.get(column)
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            continue
        try:
            granted = transforms.to_bool(value, None)
        except ValueError:
            raise RowInvalid(f"column {column}: cannot read {value!r} as a consent (Ja/Nein, yes/no, 1/0)") from None
        out.append({"purpose": purpose, "granted": granted, "source": NAME, "legal_basis": "consent"})
    return out


def body(values: dict[str, Any], line: int, file_name: str, columns: Mapping[str, str]) -> dict[str, Any]:
    """The row as stored: normalised header → value, plus ``_consents``, ``_row_hash``, ``_line`` and ``_file``."""
    document = dict(values)
    found = consents(values, columns)
    if found:
        document["_consents"] = found
    document["_row_hash"] = row_hash(values)
    document["_line"] = line
    document["_file"] = file_name
    return document


def encode(document: dict[str, Any]) -> bytes:
    try:
        return json.dumps(document, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end].encode("utf-8", "surrogateescape")
        raise RowInvalid(
            f"contains bytes ({bad.hex(' ')}) the file's encoding cannot read; it mixes encodings, save it "
            f"again as CSV UTF-8"
        ) from None


def check(spec: MappingSpec, document: dict[str, Any], now: datetime, connection: str, version: int) -> Lead:
    """Map and validate the row as the pipeline will; it must name an email or a phone number."""
    try:
        lead = apply_mapping(
            spec, document, defaults={"captured_at": now}, source=NAME, connection=connection, mapping_version=version
        )
    except MappingError as exc:
        raise RowInvalid(_with_column(spec, document, exc.field, str(exc))) from None
    except ValueError as exc:
        raise RowInvalid(str(exc)) from None
    if not (lead.person.email or lead.person.phone):
        raise RowInvalid("no email address and no phone number; a lead needs at least one of them")
    if len(lead.external_id) > MAX_EXTERNAL_ID:
        raise RowInvalid(f"the id is longer than {MAX_EXTERNAL_ID} characters")
    return lead


def _with_column(spec: MappingSpec, document: dict[str, Any], target: str | None, reason: str) -> str:
    """Name the column the bad value came from: people know their columns, not our canonical fields."""
    rule = spec.fields.get(target or "")
    column = next((path for path in (rule.paths if rule else []) if document.get(path) not in (None, "")), None)
    if not column or column.startswith("_") or not target:
        return reason
    return f"column {column} ({target}): {reason.removeprefix(f'{target}: ')}"


def prune(spec: MappingSpec, keys: set[str]) -> MappingSpec:
    """The mapping without paths into columns a file does not have: the same result for its rows, found faster
    (the default mapping lists German and English names for every field, and each path is read per row)."""
    rules = {}
    for target, rule in spec.fields.items():
        paths = [path for path in rule.paths if re.split(r"[.\[]", path, maxsplit=1)[0] in keys]
        rules[target] = rule if len(paths) == len(rule.paths) else rule.model_copy(update={"path": paths or None})
    return spec.model_copy(update={"fields": rules})


def contact_columns(spec: MappingSpec) -> set[str]:
    """The top-level keys the mapping reads an email or phone number from."""
    return {
        path.split(".", 1)[0]
        for target in CONTACT_TARGETS
        if target in spec.fields
        for path in spec.fields[target].paths
    }
