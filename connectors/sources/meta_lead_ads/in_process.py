"""leadhub's own pulls flatten each lead with :func:`record.flatten` instead of the manifest's Jinja ``flatten``.

The manifest stays pure YAML + Jinja so it runs unchanged on any Airbyte deployment (Cloud included); in the
worker, ``sync.pull`` swaps ``definitions.flatten`` for :class:`Flatten`, the same Python the webhook path uses.
Why: the Jinja renders each lead to text and parses it back (``ast.literal_eval``); with the Python, a CDK read
measured 2.0 → 0.55 ms CPU per lead (docs/benchmarks.md, "Sources"). tests/test_source_meta_lead_ads.py checks
that both give the same record for every seeded lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airbyte_cdk.sources.declarative.transformations import RecordTransformation

from connectors.sources.meta_lead_ads.record import flatten


@dataclass
class Flatten(RecordTransformation):
    """The manifest's ``flatten`` step in Python: the form's fields travel in the slice's ``extra_fields``."""

    def transform(
        self,
        record: dict[str, Any],
        config: Any = None,
        stream_state: Any = None,
        stream_slice: Any = None,
    ) -> None:
        form = getattr(stream_slice, "extra_fields", None) or {}
        record.update(flatten(record, form))


# JSON pointer in manifest.yaml → the definition leadhub runs there instead.
REPLACEMENTS: dict[str, Any] = {
    "/definitions/flatten": {"type": "CustomTransformation", "class_name": f"{__name__}.Flatten"},
}
