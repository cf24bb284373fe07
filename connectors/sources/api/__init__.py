"""api: leads that systems push to ``POST /api/v1/leads`` in the canonical shape (the generic intake)."""

from __future__ import annotations

from pathlib import Path

from mappings.spec import MappingSpec

NAME = "api"
DESCRIPTION = "Canonical leads pushed through the REST API by any system (API-key authenticated)."
DIRECTION = "source"
SOURCE_LABEL = "API"
SECRET_FIELDS: tuple[str, ...] = ()


def default_mapping() -> MappingSpec:
    return MappingSpec.from_yaml((Path(__file__).parent / "mapping.yaml").read_text())
