"""A mapping is data: canonical target ← source path, through named transforms, with a default."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mappings.transforms import TRANSFORMS


class Condition(BaseModel):
    """``{path, equals | in | exists}`` on the raw record."""

    model_config = ConfigDict(extra="forbid")

    path: str
    equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    exists: bool | None = None


class FieldRule(BaseModel):
    """How one canonical field is filled: the first non-empty path wins, then transforms run in order."""

    model_config = ConfigDict(extra="forbid")

    path: str | list[str] | None = None
    transforms: list[str] = Field(default_factory=list)
    default: Any = None
    join: str | None = Field(default=None, description="Concatenate every non-empty path with this separator.")
    when: Condition | None = Field(default=None, description="Fill the field only when this holds.")

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
    value_maps: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description='Named lookups for the map:<name> transform, e.g. {"Ja": true}.'
    )

    @model_validator(mode="after")
    def _maps_exist(self) -> MappingSpec:
        for target, rule in self.fields.items():
            for name in rule.transforms:
                key, _, arg = name.partition(":")
                if key == "map" and arg not in self.value_maps:
                    raise ValueError(f"{target}: transform {name} names no value map; define value_maps.{arg}")
        return self

    @classmethod
    def from_yaml(cls, text: str) -> MappingSpec:
        return cls.model_validate(yaml.safe_load(text))
