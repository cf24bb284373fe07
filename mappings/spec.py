"""A mapping is data: canonical target ← source path, through named transforms, with a default."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mappings.transforms import TRANSFORMS


class FieldRule(BaseModel):
    """How one canonical field is filled: the first non-empty path wins, then transforms run in order."""

    model_config = ConfigDict(extra="forbid")

    path: str | list[str] | None = None
    transforms: list[str] = Field(default_factory=list)
    default: Any = None

    @field_validator("transforms")
    @classmethod
    def _known_transforms(cls, names: list[str]) -> list[str]:
        unknown = [name for name in names if name.split(":", 1)[0] not in TRANSFORMS]
        if unknown:
            known = ", ".join(sorted(TRANSFORMS))
            raise ValueError(f"unknown transform(s) {', '.join(unknown)}; known: {known}")
        return names

    @property
    def paths(self) -> list[str]:
        if self.path is None:
            return []
        return [self.path] if isinstance(self.path, str) else list(self.path)


class MappingSpec(BaseModel):
    """A whole mapping: dotted canonical targets (``person.email``) to rules."""

    model_config = ConfigDict(extra="forbid")

    fields: dict[str, FieldRule]

    @classmethod
    def from_yaml(cls, text: str) -> MappingSpec:
        return cls.model_validate(yaml.safe_load(text))
