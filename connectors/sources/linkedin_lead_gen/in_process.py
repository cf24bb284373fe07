"""leadhub's own pulls join answers to the embedded form with :func:`flatten.flatten`, not the manifest's Jinja.

The manifest stays pure YAML + Jinja so it runs unchanged on any Airbyte deployment (Cloud included); in the
worker, ``sync.pull`` swaps ``definitions.flatten`` for :class:`Flatten`, the same Python the push path uses.
Why: the Jinja join cost ~8 ms of CPU per lead (docs/benchmarks.md, "Sources"). tests compare both on every
seeded lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airbyte_cdk.sources.declarative.transformations import RecordTransformation

from connectors.sources.linkedin_lead_gen.flatten import flatten


@dataclass
class Flatten(RecordTransformation):
    """The manifest's ``flatten`` steps (AddFields, then RemoveFields of ``_joined``) in one Python step."""

    def transform(
        self,
        record: dict[str, Any],
        config: Any = None,
        stream_state: Any = None,
        stream_slice: Any = None,
    ) -> None:
        flatten(record)


# JSON pointer in manifest.yaml → the definition leadhub runs there instead.
REPLACEMENTS: dict[str, Any] = {
    "/definitions/flatten": [{"type": "CustomTransformation", "class_name": f"{__name__}.Flatten"}],
}
