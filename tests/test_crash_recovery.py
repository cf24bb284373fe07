"""kill -9 of the worker, twice, while 1,000 signed leads arrive: nothing lost, nothing doubled."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from connectors.sources.form_webhook import samples
from core.context import Context
from core.models import Delivery, Event, Lead, RawRecord
from core.settings import Settings
from sync import connections
from tests.helpers import SIGNING_SECRET, Receiver, encode, signed_headers
from webhooks import endpoints

LEADS = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(args: list[str], settings: Settings) -> subprocess.Popen[bytes]:
    env = {**os.environ, **settings.as_env(), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "sync.cli", *args], env=env)


def wait_until(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
@pytest.mark.timeout(900)  # 1,000 leads through one worker; a busy CI machine needs more than the default
def test_worker_killed_twice_loses_no_lead_and_no_delivery(settings: Settings, live_server: Any) -> None:
    settings = settings.model_copy(update={"lease_s": 3.0, "sweep_grace_s": 1.0, "worker_threads": 4})
    ctx = Context.build(settings)
    connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
    receiver = Receiver(secrets=[])
    server = live_server(receiver.app())
    _, secret = endpoints.create(ctx, "vendor", f"{server.url}/hook", ["lead.captured"])
    receiver.secrets.append(secret)

    port = free_port()
    web = start(["serve", "--port", str(port), "--processes", "2", "--threads", "8"], settings)
    worker = start(["worker"], settings)
    processes = [web, worker]
    try:
        wait_until(lambda: _ready(port), 60, "the web server")
        posted: list[int] = []
        lock = threading.Lock()

        def post(n: int) -> None:
            body = encode(samples.submission(n, prefix="crash"))
            response = requests.post(
                f"http://127.0.0.1:{port}/hooks/form_webhook/careers",
                data=body,
                headers=signed_headers(body),
                timeout=30,
            )
            assert response.status_code == 202, response.text
            with lock:
                posted.append(n)

        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(post, n) for n in range(LEADS)]
            for kill_at in (300, 650):
                wait_until(lambda k=kill_at: len(posted) >= k, 120, f"{kill_at} posts")
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                time.sleep(0.5)
                worker = start(["worker"], settings)
                processes.append(worker)
            for future in futures:
                future.result()

        def all_delivered() -> bool:
            with ctx.db.session() as session:
                done = session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "delivered"))
            return done == LEADS and len(set(receiver.ids())) == LEADS

        wait_until(all_delivered, 600, "every delivery")
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    with ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(RawRecord)) == LEADS
        assert session.scalar(select(func.count()).select_from(RawRecord).where(RawRecord.status != "processed")) == 0
        assert session.scalar(select(func.count()).select_from(Lead)) == LEADS
        assert session.scalar(select(func.count(func.distinct(Lead.external_id)))) == LEADS
        event_ids = set(session.scalars(select(Event.id).where(Event.type == "lead.captured")))
    assert len(event_ids) == LEADS
    assert set(receiver.ids()) == event_ids  # every lead.captured arrived at least once
    assert all(arrival.verified for arrival in receiver.arrivals)
    bodies: dict[str, bytes] = {}
    for arrival in receiver.arrivals:  # a repeat carries the same webhook-id and the same body
        assert bodies.setdefault(arrival.headers["Webhook-Id"], arrival.body) == arrival.body
    ctx.db.dispose()


def _ready(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False
