"""Fixtures: a fresh hub per test on the backend chosen by LEADHUB_TEST_BACKEND (sqlite | postgres)."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from core import migrate
from core.context import Context
from core.db import Database
from core.models import Base
from core.settings import Settings

BACKEND = os.environ.get("LEADHUB_TEST_BACKEND", "sqlite")
PG_URL = os.environ.get("LEADHUB_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("LEADHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PG_TEST_DB = f"leadhub_test_{os.getpid()}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Any test that touches storage or the queue (through ``settings``) runs on both backends."""
    for item in items:
        if "settings" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.backend)


def _require(host: str, port: int, what: str) -> None:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        message = f"{what} is needed on {host}:{port} for LEADHUB_TEST_BACKEND=postgres"
        if os.environ.get("CI"):
            pytest.fail(message)  # in CI a missing service is a failure, never a skip
        pytest.skip(message)


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A database of our own for this test run, migrated once; dropped at the end."""
    _require("127.0.0.1", 5432, "PostgreSQL")
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_TEST_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{PG_TEST_DB}"'))
    url = PG_URL.rsplit("/", 1)[0] + f"/{PG_TEST_DB}"
    db = Database(Settings(database_url=url))
    migrate.upgrade(db)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_TEST_DB}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Settings]:
    """Settings for one test: its own SQLite file, or a clean PostgreSQL database and Redis queue."""
    common: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "secret_key": "test-secret-key",
        "retry_schedule": [0.0, 0.2, 0.4, 0.6],
        "retry_jitter": 0.0,
        "sweep_interval_s": 0.5,
        "sweep_grace_s": 1.0,
        "lease_s": 5.0,
        "delivery_timeout_s": 2.0,
        "queue_name": f"leadhub-test-{uuid.uuid4().hex[:10]}",
    }
    if BACKEND == "postgres":
        url = request.getfixturevalue("pg_database_url")
        _require("127.0.0.1", 6379, "Redis")
        settings = Settings(database_url=url, redis_url=REDIS_URL, **common)
        _truncate(settings)
        yield settings
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{settings.queue_name}*"):
            client.delete(key)
        client.close()
    else:
        settings = Settings(**common)
        db = Database(settings)
        migrate.upgrade(db)
        db.dispose()
        yield settings


def _truncate(settings: Settings) -> None:
    db = Database(settings)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} CASCADE"))
    db.dispose()


class RecordingDispatcher:
    """Remembers what would have been queued, so a test runs the steps itself."""

    def __init__(self) -> None:
        self.raw: list[str] = []
        self.deliveries: list[tuple[str, float]] = []

    def process_raw(self, raw_id: str) -> None:
        self.raw.append(raw_id)

    def process_raw_many(self, raw_ids: list[str]) -> None:
        self.raw.extend(raw_ids)

    def deliver(self, delivery_id: str, delay_s: float = 0.0) -> None:
        self.deliveries.append((delivery_id, delay_s))


@pytest.fixture
def dispatcher() -> RecordingDispatcher:
    return RecordingDispatcher()


@pytest.fixture
def ctx(settings: Settings, dispatcher: RecordingDispatcher) -> Iterator[Context]:
    context = Context.build(settings, dispatcher)
    yield context
    context.db.dispose()


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    from admin.app import create_app

    application = create_app(settings)
    application.config["TESTING"] = True
    yield application
    application.extensions["leadhub"].db.dispose()


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


class LiveServer:
    """A WSGI app on a real loopback port, in a thread (for receivers and platform fakes)."""

    def __init__(self, app: Flask) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()


@pytest.fixture
def live_server() -> Iterator[Any]:
    servers: list[LiveServer] = []

    def start(app: Flask) -> LiveServer:
        server = LiveServer(app)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
