"""File import benchmark: generate a CSV of invented leads, import it as ``leadhub import`` does, report rows/s and RSS.

The file is written row by row (German Excel-style columns, semicolons, some quoted line breaks), then imported
in this process through :func:`sync.file_import.run` with the queue the CLI uses (embedded SQLite queue, or Redis
with ``--backend postgres``), so each stored row is also enqueued for a worker. No worker runs: the figure is the
import itself. Peak RSS is the process's high-water mark (``ru_maxrss``), before and after the import.

    .venv/bin/python bench/file_import.py                       # 1,000,000 rows, SQLite + embedded queue
    .venv/bin/python bench/file_import.py --backend postgres    # PostgreSQL + Redis on 127.0.0.1
    .venv/bin/python bench/file_import.py --rows 100000 --reimport
    .venv/bin/python bench/file_import.py --no-queue           # without the per-row enqueue, for comparison

Performance is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import signal
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from connectors.sources.file_import import samples
from core import migrate
from core.context import Context, NullDispatcher
from core.models import RawRecord
from core.settings import Settings
from sync import connections, file_import, tasks

PG_BENCH_DB = "leadhub_bench_import"
CONNECTION = "bench-import"


def cpu_s() -> float:
    """CPU seconds this process used so far: on a shared machine, rows per CPU-second is the steadier figure."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_settings(args: argparse.Namespace, workdir: Path) -> Settings:
    common = {
        "data_dir": workdir / "var",
        "secret_key": "bench-secret-key",
        "queue_name": f"leadhub-bench-import-{os.getpid()}",
    }
    if args.backend == "sqlite":
        return Settings(**common)
    url = args.pg_admin_url.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}"
    return Settings(database_url=url, redis_url=args.redis_url, **common)


def recreate_pg_database(admin_url: str, drop_only: bool = False) -> None:
    engine = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)'))
            if not drop_only:
                conn.execute(text(f'CREATE DATABASE "{PG_BENCH_DB}"'))
    finally:
        engine.dispose()


def timed_import(ctx: Context, path: Path, label: str) -> file_import.ImportReport:
    rows = 0

    def progress(n: int) -> None:
        nonlocal rows
        rows += n
        if rows % 100_000 == 0:
            print(
                f"  {label}: {rows:,} rows after {time.perf_counter() - start:,.0f} s "
                f"({cpu_s() - cpu_start:,.0f} CPU s, load average {os.getloadavg()[0]:.1f})",
                flush=True,
            )

    start, cpu_start = time.perf_counter(), cpu_s()
    report = file_import.run(ctx, path, CONNECTION, progress=progress)
    seconds, cpu = time.perf_counter() - start, cpu_s() - cpu_start
    size_mb = path.stat().st_size / 1e6
    print(f"{label}: {report.summary()}")
    print(f"  {cpu:,.1f} CPU s in this process, {report.rows / cpu:,.0f} rows per CPU-second")
    print(
        f"  {seconds:,.1f} s, {report.rows / seconds:,.0f} rows/s, {size_mb / seconds:,.2f} MB/s; "
        f"peak RSS now {rss_mb():,.0f} MB"
    )
    return report


def run(args: argparse.Namespace) -> int:
    print(
        f"file import benchmark {date.today()}: {os.cpu_count()} cores {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="leadhub-bench-import-") as tmp:
        workdir = Path(tmp)
        settings = bench_settings(args, workdir)
        if args.backend == "postgres":
            recreate_pg_database(args.pg_admin_url)
        ctx, dispatcher = tasks.build(settings)
        try:
            start = time.perf_counter()
            path = samples.write_csv(workdir / "leads.csv", args.rows, delimiter=";")
            backend = "sqlite + embedded queue" if args.backend == "sqlite" else "postgres + redis"
            print(
                f"generated {args.rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB in "
                f"{time.perf_counter() - start:,.0f} s; backend {backend}"
            )
            if args.no_queue:
                ctx.dispatch = NullDispatcher()  # what the import costs without one queue write per row
            migrate.upgrade(ctx.db)
            connections.create(ctx, CONNECTION, "file_import")
            warm_up = workdir / "warm-up.csv"
            samples.write_csv(warm_up, 10, seed=99)
            file_import.run(ctx, warm_up, CONNECTION)
            before = rss_mb()
            print(f"peak RSS before the import (interpreter, libraries, warm-up): {before:,.0f} MB")
            report = timed_import(ctx, path, "import")
            print(f"  peak RSS growth during the import: {rss_mb() - before:,.0f} MB")
            if args.reimport:
                timed_import(ctx, path, "re-import")
            with ctx.db.session() as session:
                stored = int(session.scalar(select(func.count()).select_from(RawRecord)) or 0)
            queued = stored if args.no_queue else int(dispatcher.huey.pending_count())
            print(f"raw records stored: {stored:,}; tasks queued for workers: {queued:,}")
            ok = stored == report.stored + 10 and queued == stored
        finally:
            dispatcher.huey.flush()  # no worker will ever run these; Redis is shared
            ctx.db.dispose()
            if args.backend == "postgres" and not args.keep:
                recreate_pg_database(args.pg_admin_url, drop_only=True)
    return 0 if ok else 1


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--no-queue", action="store_true", help="store without enqueueing (isolates the queue's cost)")
    parser.add_argument("--reimport", action="store_true", help="import the same file again (everything skipped)")
    parser.add_argument("--pg-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--keep", action="store_true", help=f"keep the {PG_BENCH_DB} database afterwards")
    return parser.parse_args(argv)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # clean up (queue, database, files) when stopped
    sys.exit(run(parse_args()))
