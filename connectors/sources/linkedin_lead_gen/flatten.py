"""Apply the manifest's own ``definitions.flatten`` transformations to a pushed lead, so push and pull agree.

The join of answers to the versioned form lives once, in manifest.yaml (pure YAML + Jinja, runnable on Airbyte
Cloud). fetch() builds the same airbyte-cdk components from that definition instead of re-implementing it in
Python. The CDK is imported lazily (worker only) and without letting it take over the root logger.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

MANIFEST = Path(__file__).parent / "manifest.yaml"


@cache
def _transformations() -> tuple[Any, ...]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    os.environ.pop("REQUEST_CACHE_PATH", None)
    from airbyte_cdk.sources.declarative.models import declarative_component_schema as models
    from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory

    root.handlers[:] = handlers
    root.setLevel(level)
    definitions = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["definitions"]["flatten"]
    factory = ModelToComponentFactory()
    return tuple(
        factory.create_component(model_type=getattr(models, step["type"]), component_definition=step, config={})
        for step in definitions
    )


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """Add ``urn``, ``fields``, ``answers``, ``consents`` and ``hidden`` exactly as a pull does."""
    for step in _transformations():
        step.transform(record, config={})
    return record
