"""SQLite writers of all leadhub processes queue on one file lock: exclusive across processes, re-entrant in a
thread, released on errors, and one per database file in a process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from core import db as core_db
from core.db import Database, WriterQueue
from core.settings import Settings


def test_another_process_waits_for_the_turn(tmp_path: Path) -> None:
    lock = tmp_path / "hub.db.writers"
    holder = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from core.db import WriterQueue
        with WriterQueue(Path({str(lock)!r})).turn():
            print("held", flush=True)
            time.sleep(0.6)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        started = time.monotonic()
        with WriterQueue(lock).turn():
            waited = time.monotonic() - started
    finally:
        child.wait(timeout=10)
    assert waited >= 0.4


def test_the_turn_is_reentrant_and_released_after_an_error(tmp_path: Path) -> None:
    queue = WriterQueue(tmp_path / "hub.db.writers")
    with pytest.raises(RuntimeError), queue.turn(), queue.turn():
        raise RuntimeError("boom")
    other_thread_got_it = threading.Event()

    def take() -> None:
        with queue.turn():
            other_thread_got_it.set()

    thread = threading.Thread(target=take)
    thread.start()
    thread.join(timeout=5)
    assert other_thread_got_it.is_set()


def test_databases_on_one_file_share_a_queue_and_close_it_with_the_last(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", secret_key="k")
    first, second = Database(settings), Database(settings)
    assert first._writers is not None and first._writers is second._writers
    with first.transaction(), second._writer_turn():  # nested in one thread: re-entrant, no self-deadlock
        pass
    first.dispose()
    assert any(queue is second._writers for queue, _ in core_db._QUEUES.values())
    second.dispose()
    assert not any(str(tmp_path) in key for key in core_db._QUEUES)
