"""leadhub's own pulls add the attendee's flat keys with ``records.py``, not the manifest's Jinja ``AddFields``.

The manifest stays pure YAML + Jinja so it runs unchanged on any Airbyte deployment (Cloud included); in the
worker, ``sync.pull`` swaps the ``attendees`` stream's transformations for :class:`Flatten`, the same Python
the webhook path uses. Why: the Jinja renders each answer list to text and parses it back, ~1.3 ms of CPU per
attendee (docs/benchmarks.md, "Sources"). tests compare both on every seeded attendee.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airbyte_cdk.sources.declarative.transformations import RecordTransformation

from connectors.sources.eventbrite.records import lead_answers, registration_status


@dataclass
class Flatten(RecordTransformation):
    """``event_name``, ``registration_status`` (as text, like the manifest's ``value_type: string``) and
    ``lead_answers``; unlike ``records.to_record`` the attendee keeps every key the API sent, as a pull does."""

    def transform(
        self,
        record: dict[str, Any],
        config: Any = None,
        stream_state: Any = None,
        stream_slice: Any = None,
    ) -> None:
        extra = getattr(stream_slice, "extra_fields", None) or {}
        record["event_name"] = str(extra.get("name.text"))
        record["registration_status"] = str(registration_status(record))
        record["lead_answers"] = lead_answers(record)


# JSON pointer in manifest.yaml → the definition leadhub runs there instead.
REPLACEMENTS: dict[str, Any] = {
    "/definitions/attendees/transformations": [{"type": "CustomTransformation", "class_name": f"{__name__}.Flatten"}],
}
