"""``leadhub demo``: web, worker and a sample vendor receiver on the embedded defaults, with sample leads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import click
import requests
from sqlalchemy import select

from connectors.sources.form_webhook import samples, signature
from core import migrate
from core.context import Context
from core.models import Connection, WebhookEndpoint
from core.settings import Settings
from sync import connections
from webhooks import endpoints

DEMO_CONNECTION = "careers-site"
DEMO_SIGNING_SECRET = "demo-signing-secret-not-for-production"  # noqa: S105 - demo only
DEMO_ENDPOINT = "sample-receiver"


def _ensure_setup(ctx: Context, receiver_url: str) -> str:
    """Create the demo connection and endpoint once; returns the endpoint's signing secret."""
    with ctx.db.session() as session:
        have_conn = session.scalar(select(Connection).where(Connection.name == DEMO_CONNECTION))
        endpoint = session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.name == DEMO_ENDPOINT))
    if have_conn is None:
        connections.create(ctx, DEMO_CONNECTION, "form_webhook", {}, {"signing_secret": DEMO_SIGNING_SECRET})
    if endpoint is None:
        _endpoint, secret = endpoints.create(ctx, DEMO_ENDPOINT, receiver_url, ["*"])
        return secret
    if endpoint.url != receiver_url:
        with ctx.db.transaction() as session:
            row = session.get(WebhookEndpoint, endpoint.id)
            assert row is not None
            row.url = receiver_url
    return ctx.box.decrypt(endpoint.secret_encrypted)


@contextmanager
def _processes(commands: list[list[str]], env: dict[str, str]) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start children; stop every one of them on the way out, whatever happens."""
    children: list[subprocess.Popen[bytes]] = []
    try:
        for command in commands:
            # Own session: Ctrl-C reaches only the demo, which stops each child in order with SIGTERM.
            children.append(subprocess.Popen(command, env=env, start_new_session=True))
        yield children
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()


def _wait_for(url: str, children: list[subprocess.Popen[bytes]], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            raise click.ClickException("A demo process exited early; see its output above (is the port taken?).")
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise click.ClickException(f"{url} did not answer within {timeout_s:.0f} s.")


def run(settings: Settings, port: int, receiver_port: int, lead_count: int, once: bool = False) -> None:
    ctx = Context.build(settings)
    migrate.upgrade(ctx.db)
    receiver_url = f"http://127.0.0.1:{receiver_port}/webhooks"
    secret = _ensure_setup(ctx, receiver_url)
    ctx.db.dispose()
    env = {**os.environ, **settings.as_env(), "PYTHONUNBUFFERED": "1"}
    python = sys.executable
    commands = [
        [python, "-m", "webhooks.sample_receiver", "--port", str(receiver_port), "--secret", secret],
        [python, "-m", "sync.cli", "serve", "--port", str(port), "--processes", "1", "--threads", "4"],
        [python, "-m", "sync.cli", "worker", "--threads", "2"],
    ]
    base = f"http://127.0.0.1:{port}"
    with _processes(commands, env) as children:
        _wait_for(f"http://127.0.0.1:{receiver_port}/healthz", children)
        _wait_for(f"{base}/readyz", children)
        start = time.monotonic()
        run_tag = time.strftime("%Y%m%d%H%M%S")
        with click.progressbar(range(lead_count), label="Posting sample leads") as bar:
            for n in bar:
                body = json.dumps(samples.submission(n, prefix=f"demo-{run_tag}")).encode()
                response = requests.post(
                    f"{base}/hooks/form_webhook/{DEMO_CONNECTION}",
                    data=body,
                    timeout=10,
                    headers={
                        "content-type": "application/json",
                        signature.HEADER: signature.sign(body, DEMO_SIGNING_SECRET),
                    },
                )
                response.raise_for_status()
        by_type = _wait_received(receiver_port, lead_count)
        received = by_type.get("lead.captured", 0)
        if received < lead_count:
            raise click.ClickException(
                f"Only {received} of {lead_count} leads reached the sample receiver within 60 s; "
                "see the worker's output above."
            )
        click.echo(
            f"\n{received} lead.captured and {by_type.get('lead.qualified', 0)} lead.qualified pushes arrived at the "
            f"sample receiver in {time.monotonic() - start:.1f} s, each verified by the standardwebhooks library "
            "(lines above)."
        )
        click.echo(f"""
Where to look:
  {base}/metrics                         intake, leads, deliveries, queue depth
  {base}/readyz                          database and queue health
  {settings.database_url}   every raw record, lead, person and delivery attempt
Post your own lead:
  see docs/connectors/form_webhook.md (connection "{DEMO_CONNECTION}", secret "{DEMO_SIGNING_SECRET}")
Press Ctrl-C to stop every demo process.""")
        if once:
            return
        _wait_for_stop(children)
        click.echo("\nStopping the demo …")


def _wait_for_stop(children: list[subprocess.Popen[bytes]]) -> None:
    """Block until Ctrl-C or SIGTERM (then the caller stops every child), or until a child dies."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(0.5):
        if any(child.poll() is not None for child in children):
            raise click.ClickException("A demo process stopped unexpectedly; see its output above.")


def _wait_received(receiver_port: int, expected: int) -> dict[str, int]:
    """Poll the receiver until every sample lead's ``lead.captured`` arrived (or 60 s passed)."""
    deadline = time.monotonic() + 60
    by_type: dict[str, int] = {}
    while time.monotonic() < deadline:
        by_type = requests.get(f"http://127.0.0.1:{receiver_port}/healthz", timeout=2).json()["by_type"]
        if by_type.get("lead.captured", 0) >= expected:
            break
        time.sleep(0.3)
    return by_type
