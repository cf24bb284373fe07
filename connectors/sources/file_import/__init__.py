"""file_import: CSV and JSONL exports (event lists, old spreadsheets, other tools) read with `leadhub import`."""

from __future__ import annotations

from pathlib import Path

from mappings.spec import MappingSpec

NAME = "file_import"
DESCRIPTION = "CSV and JSONL files read by `leadhub import FILE --connection NAME` (encoding and delimiter detected)."
DIRECTION = "source"
SECRET_FIELDS: tuple[str, ...] = ()


def default_mapping() -> MappingSpec:
    return MappingSpec.from_yaml((Path(__file__).parent / "mapping.yaml").read_text(encoding="utf-8"))
