"""Look at the start of a file: refuse what is not CSV or JSONL text, detect encoding, format and delimiter."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import LeadhubError

SAMPLE_BYTES = 1 << 20  # for the encoding
TEXT_BYTES = 1 << 16  # for the format and the delimiter
DELIMITERS = ",;\t"
SEP_LINE = re.compile(r"^sep=.$")
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".numbers"}
SAVE_AS_CSV = (
    "In Excel choose File → Save As → “CSV UTF-8 (Comma delimited) (*.csv)” (LibreOffice: File → Save As → "
    "Text CSV), then import the .csv file."
)
MAGIC = [
    (b"PK\x03\x04", "a ZIP archive, most likely an Excel workbook (.xlsx) or another spreadsheet"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97–2003 workbook (.xls) or another Office document"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "gzip-compressed; decompress it first (gunzip FILE) and import the result, it is"),
]


class FileRejected(LeadhubError):
    """The file cannot be imported at all; the message says what it is and what to do instead."""


@dataclass(frozen=True)
class FileFormat:
    kind: str  # csv | jsonl
    encoding: str
    delimiter: str = ","

    def describe(self) -> str:
        if self.kind == "jsonl":
            return f"JSON Lines, {self.encoding}"
        shown = {"\t": "tab", ",": "comma", ";": "semicolon"}.get(self.delimiter, repr(self.delimiter))
        return f"CSV, {shown}-delimited, {self.encoding}"


def detect(path: Path, settings: Mapping[str, Any] | None = None) -> FileFormat:
    """Format, encoding and delimiter; the connection settings ``encoding`` and ``delimiter`` override detection."""
    settings = settings or {}
    try:
        with path.open("rb") as handle:
            sample = handle.read(SAMPLE_BYTES)
            complete = not handle.read(1)
    except OSError as exc:
        raise FileRejected(f"Cannot read {path}: {exc.strerror or exc}.") from None
    _refuse_non_text(path, sample)
    encoding = str(settings.get("encoding") or detect_encoding(sample, complete))
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise FileRejected(
            f"Unknown encoding {encoding!r} in the connection's settings; use e.g. utf-8 or cp1252."
        ) from None
    head = sample[:TEXT_BYTES]
    text = head.decode(encoding, errors="replace")
    if not complete or len(sample) > len(head):  # the head may end inside a row
        text = text[: text.rfind("\n") + 1] or text
    kind = _kind(path, text)
    if kind == "jsonl":
        return FileFormat("jsonl", encoding)
    delimiter = str(settings.get("delimiter") or detect_delimiter(text))
    delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter, delimiter)
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise FileRejected(f"The connection's delimiter setting {delimiter!r} must be one character, e.g. ; or tab.")
    return FileFormat("csv", encoding, delimiter)


def detect_encoding(sample: bytes, complete: bool = True) -> str:
    """BOM → utf-8-sig (or utf-16); valid UTF-8 → utf-8; else cp1252 if it decodes, else latin-1."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp1252"):
        if _decodes(sample, encoding, complete):
            return encoding
    return "latin-1"


def _decodes(sample: bytes, encoding: str, complete: bool) -> bool:
    """Whether the sample reads in ``encoding``, decoded in slices so that no large string is ever built."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(sample), TEXT_BYTES):
            decoder.decode(sample[start : start + TEXT_BYTES], final=complete and start + TEXT_BYTES >= len(sample))
    except UnicodeDecodeError:
        return False
    return True


def detect_delimiter(text: str) -> str:
    """``csv.Sniffer`` on the sample, checked against the header line; else the candidate the header uses most."""
    header = text.lstrip("\ufeff\r\n").splitlines()[0] if text.strip() else ""
    if SEP_LINE.match(header):
        return header[4]  # Excel's "sep=;" line names the delimiter
    try:
        sniffed = csv.Sniffer().sniff(text, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed and sniffed in header:
        return sniffed
    counts = {candidate: header.count(candidate) for candidate in DELIMITERS}
    best = max(counts, key=lambda candidate: counts[candidate])
    return best if counts[best] else ","


def _refuse_non_text(path: Path, sample: bytes) -> None:
    if not sample.strip():
        raise FileRejected(f"{path.name} is empty. Export the data again, with a header row naming the columns.")
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        raise FileRejected(f"{path.name} is a spreadsheet file, not CSV or JSONL. {SAVE_AS_CSV}")
    for magic, what in MAGIC:
        if sample.startswith(magic):
            raise FileRejected(f"{path.name} is {what}, not a CSV or JSONL text file. {SAVE_AS_CSV}")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    nul = sample.find(b"\x00")
    if nul >= 0:
        raise FileRejected(
            f"{path.name} contains binary data (a NUL byte at byte {nul}), so it is not a CSV or "
            f"JSONL text file. Import a text export; if it is UTF-16 text without a byte order mark, save it "
            f"again as CSV UTF-8."
        )


def _kind(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    first = text.lstrip("\ufeff \t\r\n")[:1]
    if suffix in JSONL_SUFFIXES or (suffix not in CSV_SUFFIXES and first == "{"):
        if first == "[":
            raise FileRejected(
                f"{path.name} is a JSON array, not JSON Lines (one object per line). Convert it with "
                f"`jq -c '.[]' {path.name} > {path.stem}.jsonl` and import the .jsonl file."
            )
        return "jsonl"
    return "csv"
