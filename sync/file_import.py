"""``leadhub import FILE --connection NAME``: stream a CSV or JSONL file into raw records, a batch per transaction.

The file is never held in memory: rows are read one at a time, checked with the connection's published mapping
(bad rows are reported with their line and reason, never stored), and the good ones are committed in batches of
:data:`BATCH`. Rows whose external id is already a lead or a waiting raw record are skipped, so importing the
same file again stores nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from connectors.sources.file_import import NAME, record, sniff
from connectors.sources.file_import.problems import ProblemLog
from connectors.sources.file_import.reader import BadRow, Reader
from core.context import Context
from core.errors import ConfigurationError
from core.models import Connection, utcnow
from mappings import versions
from mappings.spec import MappingSpec
from sync import connections
from webhooks import inbox

BATCH = 1000
INTERNAL = {"_consents", "_row_hash", "_line", "_file"}


@dataclass
class ImportReport:
    file: Path
    fmt: sniff.FileFormat
    problems: ProblemLog
    rows: int = 0
    stored: int = 0
    skipped_known: int = 0

    @property
    def problems_file(self) -> Path:
        return self.problems.path

    def summary(self) -> str:
        text = (
            f"{self.file.name} ({self.fmt.describe()}): {self.rows:,} rows read; {self.stored:,} new stored and "
            f"queued for processing, {self.skipped_known:,} already imported, {len(self.problems):,} bad"
        )
        if self.problems:
            text += f" (each with its line and reason in {self.problems_file})"
        return text + "."


@dataclass(frozen=True)
class _Target:
    connection_id: str
    connection: str
    spec: MappingSpec
    version: int
    now: datetime


def run(ctx: Context, file: Path, connection: str, progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import every good row of ``file`` into ``connection``; raises :class:`LeadhubError` for an unusable file."""
    view = connections.find(ctx, connection)
    if view.platform != NAME:
        raise ConfigurationError(
            f"Connection {connection!r} is a {view.platform} connection; files are imported into a {NAME} "
            f"connection: `leadhub connections add {connection}-import --platform {NAME}`."
        )
    if not view.enabled:
        raise ConfigurationError(f"Connection {connection!r} is disabled; enable it before importing into it.")
    fmt = sniff.detect(file, view.settings)
    target = _target(ctx, view.id, view.name)
    consent_columns = record.consent_columns(view.settings)
    report = ImportReport(file, fmt, ProblemLog(_problems_path(ctx, file, target.now)))
    batch: list[tuple[str, bytes]] = []
    try:
        with Reader(file, fmt) as reader:
            _require_contact_column(reader, target.spec, file)
            spec = target.spec if reader.header is None else record.prune(target.spec, {*reader.header, *INTERNAL})
            for item in reader:
                report.rows += 1
                if progress:
                    progress(1)
                if isinstance(item, BadRow):
                    report.problems.add(item.line, item.reason)
                    continue
                try:
                    document = record.body(item.values, item.line, file.name, consent_columns)
                    encoded = record.encode(document)
                    lead = record.check(spec, document, target.now, target.connection, target.version)
                except record.RowInvalid as exc:
                    report.problems.add(item.line, str(exc))
                    continue
                batch.append((lead.external_id, encoded))
                if len(batch) >= BATCH:
                    _store(ctx, target.connection_id, batch, report)
            _store(ctx, target.connection_id, batch, report)
    finally:
        report.problems.close()
    return report


def _target(ctx: Context, connection_id: str, name: str) -> _Target:
    with ctx.db.transaction() as session:
        conn = session.get(Connection, connection_id)
        assert conn is not None
        mapping = versions.published(session, conn)
        return _Target(connection_id, name, MappingSpec.model_validate(mapping.spec), mapping.version, utcnow())


def _problems_path(ctx: Context, file: Path, now: datetime) -> Path:
    return (ctx.settings.data_dir / "imports" / f"{file.stem}-{now:%Y%m%d-%H%M%S-%f}-problems.csv").resolve()


def _require_contact_column(reader: Reader, spec: MappingSpec, file: Path) -> None:
    """A header without any column the mapping reads an email or phone from would make every row bad: say so once."""
    expected = record.contact_columns(spec)
    if reader.header is not None and expected and not expected & set(reader.header):
        raise sniff.FileRejected(
            f"No column of {file.name} holds an email address or a phone number for the connection's mapping. "
            f"Columns found (normalised): {', '.join(reader.header)}. The mapping reads them from: "
            f"{', '.join(sorted(expected))}. Rename the column in the file or change the connection's mapping."
        )


def _store(ctx: Context, connection_id: str, batch: list[tuple[str, bytes]], report: ImportReport) -> None:
    """One transaction: skip ids already a lead or a waiting raw record (and repeats in the batch), insert the rest."""
    if not batch:
        return
    with ctx.db.transaction() as session:
        stored = inbox.insert_new(session, connection_id, NAME, batch)
    report.skipped_known += len(batch) - len(stored)
    report.stored += len(stored)
    batch.clear()
    inbox.dispatch(ctx, stored)
