"""The submission a landing page or career site posts: typed where we rely on it, extras kept."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Submission(BaseModel):
    model_config = ConfigDict(extra="allow")

    submission_id: str = Field(min_length=1, max_length=200, coerce_numbers_to_str=True)
    submitted_at: str | int | float | None = None
    form_id: str | None = Field(default=None, coerce_numbers_to_str=True)
    fields: dict[str, Any] = Field(default_factory=dict)
    answers: list[dict[str, Any]] = Field(default_factory=list)
    consents: list[dict[str, Any]] = Field(default_factory=list)
    utm: dict[str, Any] = Field(default_factory=dict)
