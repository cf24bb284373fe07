"""leadhub's own pulls flatten each exported row with :func:`record.flatten`, not the manifest's Jinja.

The manifest stays pure YAML + Jinja so it runs unchanged on any Airbyte deployment (Cloud included); in the
worker, ``sync.pull`` swaps the ``leads`` stream's transformations for :class:`Flatten`, the same Python the
push path uses. Why: the Jinja renders each row to text and parses it back, ~2 ms of CPU per lead
(docs/benchmarks.md, "Sources"). tests compare both on every seeded lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airbyte_cdk.sources.declarative.transformations import RecordTransformation

from connectors.sources.tiktok_leads.record import flatten


@dataclass
class Flatten(RecordTransformation):
    """The manifest's steps: ``advertiser_id`` from the config, then ``fields``, ``answers`` and ``consents``."""

    def transform(
        self,
        record: dict[str, Any],
        config: Any = None,
        stream_state: Any = None,
        stream_slice: Any = None,
    ) -> None:
        record["advertiser_id"] = str((config or {})["advertiser_id"])
        record.update(flatten(record))


# JSON pointer in manifest.yaml → the definition leadhub runs there instead.
REPLACEMENTS: dict[str, Any] = {
    "/streams/1/transformations": [{"type": "CustomTransformation", "class_name": f"{__name__}.Flatten"}],
}
