"""Engine and sessions: SQLite (WAL, busy timeout) by default, PostgreSQL in production."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


class Database:
    """The engine plus a session factory; passed to whatever needs storage."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together or not at all."""
        with self._sessions() as session, session.begin():
            session.connection(execution_options={"sqlite_immediate": True})
            yield session

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A Core connection in one transaction, for hot paths where the ORM's unit of work costs more than
        the statement (intake stores one row per request)."""
        with self.engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
            yield conn

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reads (and explicit commits)."""
        with self._sessions() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
