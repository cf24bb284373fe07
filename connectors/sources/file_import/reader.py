"""Stream the rows of a CSV or JSONL file, one at a time, each with the physical line it starts on."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from connectors.sources.file_import.sniff import SEP_LINE, FileFormat, FileRejected

MAX_LINE_CHARS = 1 << 20
_PUNCTUATION = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, Any]


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


def normalise_header(name: str) -> str:
    """Trimmed, lower case, BOM removed, every run of spaces, hyphens or punctuation one underscore."""
    return _PUNCTUATION.sub("_", name.replace("\ufeff", "").strip().lower()).strip("_")


def unique_headers(names: list[str]) -> list[str]:
    """Normalised names; an empty one becomes ``column_<n>``, a repeated one gets ``_2``, ``_3`` …"""
    out: list[str] = []
    for position, name in enumerate(names, start=1):
        base = normalise_header(name) or f"column_{position}"
        candidate, counter = base, 1
        while candidate in out:
            counter += 1
            candidate = f"{base}_{counter}"
        out.append(candidate)
    return out


class Reader:
    """Open with ``with`` (a CSV header is read then); iterating yields :class:`Row` or :class:`BadRow`."""

    def __init__(self, path: Path, fmt: FileFormat) -> None:
        self.path, self.fmt = path, fmt
        self.header: list[str] | None = None
        self._handle: IO[str] | None = None
        self._csv: Any = None
        self._ended = 0  # the physical line the previous CSV record ended on

    def __enter__(self) -> Reader:
        # surrogateescape: a byte the detected encoding cannot read fails its row, not the whole file
        self._handle = self.path.open(encoding=self.fmt.encoding, errors="surrogateescape", newline="")
        if self.fmt.kind == "csv":
            # strict: a quote that is never closed is an error instead of silently swallowing the rows after it
            self._csv = csv.reader(self._handle, delimiter=self.fmt.delimiter, quotechar='"', strict=True)
            try:
                self._read_header()
            except BaseException:
                self._handle.close()
                raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()

    def __iter__(self) -> Iterator[Row | BadRow]:
        if self._handle is None:
            raise RuntimeError("use the Reader in a with block")
        return self._jsonl(self._handle) if self.fmt.kind == "jsonl" else self._rows()

    def _read_header(self) -> None:
        for start, record in _records(self._csv):
            if isinstance(record, str):
                raise FileRejected(f"The header row (line {start}) of {self.path.name} cannot be read: {record}.")
            if start == 1 and SEP_LINE.match(self.fmt.delimiter.join(record).lstrip("\ufeff")):
                continue  # Excel's "sep=;" line before the header
            if any(value.strip() for value in record):
                self.header = unique_headers(_without_trailing_empties(record))
                self._ended = self._csv.line_num
                return
        raise FileRejected(f"{self.path.name} has no header row; the first line must name the columns.")

    def _rows(self) -> Iterator[Row | BadRow]:
        header = self.header or []
        width = len(header)
        for start, record in _records(self._csv, self._ended):
            if isinstance(record, str):
                yield BadRow(start, record)
                continue
            if not any(value.strip() for value in record):
                continue  # blank lines and rows of empty cells (";;;;" from spreadsheets)
            if len(record) > width and not any(value.strip() for value in record[width:]):
                record = record[:width]
            if len(record) != width:
                yield BadRow(start, _column_count(record, width, start, self._csv.line_num, self.fmt.delimiter))
                continue
            yield Row(start, dict(zip(header, record, strict=True)))

    def _jsonl(self, handle: IO[str]) -> Iterator[Row | BadRow]:
        line = 0
        while text := handle.readline(MAX_LINE_CHARS):
            line += 1
            if len(text) == MAX_LINE_CHARS and not text.endswith(("\n", "\r")):
                while (rest := handle.readline(MAX_LINE_CHARS)) and not rest.endswith(("\n", "\r")):
                    pass
                yield BadRow(line, f"line is longer than {MAX_LINE_CHARS:,} characters; is it one record?")
                continue
            if not text.strip():
                continue
            try:
                document = json.loads(text)
            except json.JSONDecodeError as exc:
                yield BadRow(line, f"not valid JSON at column {exc.colno}: {exc.msg}")
                continue
            if not isinstance(document, dict):
                yield BadRow(line, f"expected a JSON object, found {type(document).__name__}")
                continue
            yield Row(line, _normalised_keys(document))


def _records(reader: Any, ended: int = 0) -> Iterator[tuple[int, list[str] | str]]:
    """(start line, fields) per record; a CSV error gives (start line, reason) and reading goes on."""
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield ended + 1, _csv_problem(str(exc), ended + 1, reader.line_num)
        else:
            yield ended + 1, record
        ended = reader.line_num


def _csv_problem(error: str, start: int, end: int) -> str:
    """The csv module's error as what to fix in the file."""
    if "unexpected end of data" in error:
        return (
            f"a quote opened in this row is never closed, so lines {start}–{end} (the rest of the file) were read "
            f"as one value; close or remove that quote and import again"
        )
    if "expected after" in error:
        where = f" (the row runs on to line {end})" if end > start else ""
        return f'a quote inside a quoted value is not doubled{where}; write "" for a quote inside quotes'
    if "field larger than field limit" in error:
        return (
            f"a value runs on past {csv.field_size_limit():,} characters (to line {end}); probably a quote opened "
            f"here is closed much later"
        )
    return f"unreadable CSV ({error})"


def _without_trailing_empties(names: list[str]) -> list[str]:
    while names and not names[-1].strip():
        names = names[:-1]
    return names


def _column_count(record: list[str], width: int, start: int, end: int, delimiter: str) -> str:
    shown = {"\t": "tab", ",": "comma", ";": "semicolon"}.get(delimiter, repr(delimiter))
    reason = f"has {len(record)} columns, the header has {width} ({shown}-delimited)"
    if end > start:
        reason += f"; the row runs on to line {end}, look for a quote that is opened and not closed"
    return reason


def _normalised_keys(document: dict[str, Any]) -> dict[str, Any]:
    return dict(zip(unique_headers([str(key) for key in document]), document.values(), strict=True))
