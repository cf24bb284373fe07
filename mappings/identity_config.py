"""Identity resolution settings: the score bands, survivorship and the candidate budget."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class IdentityConfig(BaseModel):
    """Scores are log2 likelihood ratios (see :mod:`mappings.scoring`): +1 doubles the odds of one human."""

    model_config = ConfigDict(extra="forbid")

    auto_threshold: float = Field(default=19.0, description="At or above, with no conflict: link or merge.")
    review_threshold: float = Field(default=17.0, description="At or above (below auto): new person + review item.")
    source_priority: list[str] = Field(
        default_factory=list,
        description="Sources whose values survive first, best first; empty = the most recent non-empty value wins.",
    )
    max_candidates: int = Field(default=64, ge=1, description="At most this many block candidates are scored.")
    advisory_locks: bool = Field(default=True, description="PostgreSQL: serialise resolves that share a key or block.")

    @model_validator(mode="after")
    def _bands_in_order(self) -> IdentityConfig:
        if self.review_threshold > self.auto_threshold:
            raise ValueError("review_threshold must not be above auto_threshold")
        return self
