"""Engine and sessions: SQLite (WAL, busy timeout) by default, PostgreSQL in production."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's own busy waiting orders the writers
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from core.errors import ConfigurationError
from core.settings import Settings


def _sqlite_pragmas(synchronous: str) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level so that SQLAlchemy's BEGIN below is the only one we get.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return on_connect


def make_engine(settings: Settings) -> Engine:
    """One engine per process; SQLite writers take the lock at BEGIN so they queue instead of failing."""
    url = settings.database_url
    if url.startswith("sqlite"):
        if sqlite3.sqlite_version_info < (3, 35):
            raise ConfigurationError(
                f"This Python's SQLite is {sqlite3.sqlite_version}; leadhub needs 3.35 or newer (UPDATE … RETURNING). "
                "Use a newer Python build or set LEADHUB_DATABASE_URL to PostgreSQL."
            )
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas(settings.sqlite_synchronous))

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # Writers take the write lock up front: a deferred BEGIN that upgrades later fails with
            # "database is locked" instead of waiting for the busy timeout.
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


class WriterQueue:
    """SQLite admits one writer at a time and makes the others poll with growing sleeps (up to 100 ms a try),
    which left both cores idle while intake requests slept. leadhub's processes queue on an advisory file lock
    beside the database instead: the kernel wakes the next writer the moment the last one commits. Threads of
    one process queue on a lock first (a file lock is shared by everything using the same open file)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._threads = threading.RLock()
        self._depth = 0
        self._fd = -1
        self._pid = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._threads:
            if self._depth == 0:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._threads:
            if self._fd >= 0 and self._pid == os.getpid():
                os.close(self._fd)
            self._fd, self._pid = -1, 0

    def _file(self) -> int:
        if self._pid != os.getpid():  # a forked child needs its own open file: flock belongs to the open file
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd


_QUEUES: dict[str, tuple[WriterQueue, int]] = {}  # one per database file and process, with its user count
_QUEUES_LOCK = threading.Lock()


def _join_writer_queue(settings: Settings) -> WriterQueue | None:
    """The process's queue for this database file (shared, so nested use in one thread stays re-entrant)."""
    url = settings.database_url
    path = url.split("///", 1)[-1] if url.startswith("sqlite") else ""
    if fcntl is None or not path or path == ":memory:":
        return None
    key = str(Path(path).resolve()) + ".writers"
    with _QUEUES_LOCK:
        queue, users = _QUEUES.get(key) or (WriterQueue(Path(key)), 0)
        _QUEUES[key] = (queue, users + 1)
    return queue


def _leave_writer_queue(queue: WriterQueue) -> None:
    with _QUEUES_LOCK:
        for key, (known, users) in list(_QUEUES.items()):
            if known is queue:
                if users > 1:
                    _QUEUES[key] = (known, users - 1)
                else:
                    del _QUEUES[key]
                    known.close()


class Database:
    """The engine plus a session factory; passed to whatever needs storage."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writers = _join_writer_queue(settings)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together or not at all."""
        with self._writer_turn(), self._sessions() as session, session.begin():
            session.connection(execution_options={"sqlite_immediate": True})
            yield session

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A Core connection in one transaction, for hot paths where the ORM's unit of work costs more than
        the statement (intake stores one row per request)."""
        with (
            self._writer_turn(),
            self.engine.connect().execution_options(sqlite_immediate=True) as conn,
            conn.begin(),
        ):
            yield conn

    def _writer_turn(self) -> AbstractContextManager[None]:
        return self._writers.turn() if self._writers else nullcontext()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reads (and explicit commits)."""
        with self._sessions() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self._writers is not None:
            _leave_writer_queue(self._writers)
            self._writers = None
