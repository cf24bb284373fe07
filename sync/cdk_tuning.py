"""Speed-ups of airbyte-cdk internals for leadhub's in-process pulls; each one returns exactly what the CDK would.

Measured in bench/sources.py (docs/benchmarks.md, "Sources"): per source object the CDK re-parses its 0.5 s
component-schema YAML; per response ``DpathExtractor`` walks the whole decoded document with ``dpath.get`` to
find one top-level key, and every ``HttpResponseFilter`` predicate decodes the body again with the stdlib JSON
parser; per record the cursor parses the same timestamp twice with ``strptime``. One is not about speed:
``ResponseToFileExtractor`` (TikTok's CSV export) writes each download under a random name in the working
directory; here it goes to a private directory instead. Only the process that pulls (worker, CLI) applies them,
through ``sync.pull``; a manifest run by Airbyte never sees them.
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

_GLOB = re.compile(r"[*?\[\]!]")  # dpath matches path segments with fnmatch: such a segment takes the CDK's path
_UNSET = object()
_LOCK = threading.Lock()
_applied = False


def apply() -> None:
    """Install every speed-up once per process (pulls may start in several worker threads at once)."""
    global _applied
    with _LOCK:
        if _applied:
            return
        _cache_component_schema()
        _fast_dpath_extractor()
        _decode_response_once()
        _cache_datetime_parsing()
        _private_download_dir()
        _applied = True


def _cache_component_schema() -> None:
    """The declarative component schema is package data that never changes: parse it once, not per source."""
    from airbyte_cdk.sources.declarative import concurrent_declarative_source as cds

    cds.get_declarative_component_schema = functools.cache(cds.get_declarative_component_schema)


def walk(body: Any, path: Sequence[str]) -> Any:
    """``dpath.get(body, path, default=[])`` for plain keys: a direct descent through dicts, else dpath itself."""
    current = body
    for key in path:
        if type(current) is dict and key in current:
            current = current[key]
        else:
            import dpath

            return dpath.get(body, list(path), default=[])
    return current


def _fast_dpath_extractor() -> None:
    from airbyte_cdk.sources.declarative.extractors.dpath_extractor import DpathExtractor

    original = DpathExtractor.extract_records

    def extract_records(self: Any, response: Any) -> Iterator[Any]:
        """As ``DpathExtractor.extract_records``; a path of plain string keys is followed without ``dpath``."""
        path = [segment.eval(self.config) for segment in self._field_path]
        if (
            not path
            or self.record_expander is not None
            or not all(isinstance(key, str) and not _GLOB.search(key) for key in path)
        ):
            yield from original(self, response)
            return
        for body in self.decoder.decode(response):
            extracted = walk(body, path)
            if isinstance(extracted, list):
                yield from extracted
            elif extracted:
                yield extracted

    DpathExtractor.extract_records = extract_records  # type: ignore[method-assign]


def _decode_response_once() -> None:
    """Every response filter's predicate asks for ``response.json()``; decode each response once and share it."""
    from airbyte_cdk.sources.declarative.requesters.error_handlers.http_response_filter import HttpResponseFilter

    original = HttpResponseFilter._safe_response_json

    def safe_response_json(response: Any) -> Any:
        cached = response.__dict__.get("_leadhub_json", _UNSET)
        if cached is _UNSET:
            cached = original(response)
            response.__dict__["_leadhub_json"] = cached
        return cached

    HttpResponseFilter._safe_response_json = staticmethod(safe_response_json)  # type: ignore[method-assign]


def _cache_datetime_parsing() -> None:
    """The cursor parses each record's timestamp twice (partition and global cursor); datetimes are immutable."""
    from airbyte_cdk.sources.declarative.datetime.datetime_parser import DatetimeParser

    original = DatetimeParser.parse
    parser = DatetimeParser()
    cached = functools.lru_cache(maxsize=4096)(lambda date, fmt: original(parser, date, fmt))

    def parse(self: Any, date: Any, format: str) -> Any:
        if type(date) in (str, int):  # not bool: True would share 1's cache entry
            return cached(date, format)
        return original(self, date, format)

    DatetimeParser.parse = parse  # type: ignore[method-assign]


class _PrivateNames:
    """Stands in for ``uuid`` inside the CDK's response_to_file_extractor, which names its temporary file
    ``str(uuid.uuid4())`` relative to the working directory: the name becomes a path in a private directory."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def uuid4(self) -> str:
        return os.path.join(self.directory, str(uuid.uuid4()))


def _private_download_dir() -> None:
    """Export files hold personal data: keep them in a 0700 directory of this process, removed at exit (the CDK
    deletes each file once read; this also catches what a failed read leaves)."""
    from airbyte_cdk.sources.declarative.extractors import response_to_file_extractor as module

    directory = tempfile.mkdtemp(prefix="leadhub-cdk-downloads-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    module.uuid = _PrivateNames(directory)  # type: ignore[assignment]
