"""``leadhub demo``: web, worker and a sample vendor receiver on the embedded defaults, with sample leads from the
careers-site form and from every platform's sandbox fake, by pull and by push.

The children (receiver, web, worker) run in their own sessions; the platform fakes (and HubSpot's) run as
threads of this process. Ctrl-C or SIGTERM stops every one of them.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import click
import requests
from sqlalchemy import func, select

from connectors import registry
from connectors.sources.form_webhook import samples, signature
from core import migrate
from core.context import Context
from core.models import Connection, Delivery, Lead, RawRecord, WebhookEndpoint
from core.settings import Settings
from sync import connections, demo_platforms
from sync.demo_platforms import DemoSink, DemoSource
from webhooks import endpoints

DEMO_CONNECTION = "careers-site"
DEMO_SIGNING_SECRET = "demo-signing-secret-not-for-production"  # noqa: S105 - demo only
DEMO_ENDPOINT = "sample-receiver"
PLATFORM_PUSHES = 2  # leads each push-capable platform announces by webhook (more for a platform that only pushes)
PUSH_ONLY_PUSHES = 4
PULL_TIMEOUT_S = 35.0  # a pull still running then is reported, and the platform pushes anyway
PLATFORMS_TIMEOUT_S = 45.0  # pulls, pushes and the worker's processing of both
PROGRESS_EVERY_S = 3.0


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


def _ensure_connection(
    ctx: Context, name: str, platform: str, settings: dict[str, Any], secrets: dict[str, str]
) -> str:
    """The demo's connection to a fake: created on the first run, on later runs pointed at this run's fake
    (its port changes) and made healthy again. Returns the connection id."""
    with ctx.db.transaction() as session:
        conn = session.scalar(select(Connection).where(Connection.name == name))
        if conn is not None:
            if conn.platform != platform:
                raise click.ClickException(f"connection {name!r} exists already for {conn.platform}")
            conn.settings = {**conn.settings, **settings}
            conn.enabled = True
            connection_id = conn.id
    if conn is None:
        return connections.create(ctx, name, platform, settings, secrets).id
    connections.update_secrets(ctx, name, secrets)  # status "ok" again; its waiting deliveries are due now
    return connection_id


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


def _stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so every child and fake is stopped on the way out."""

    def stop(_signum: int, _frame: object) -> None:
        raise SystemExit(128 + signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)


def run(settings: Settings, port: int, receiver_port: int, lead_count: int, once: bool = False) -> None:
    _stop_on_sigterm()
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
        [python, "-m", "sync.cli", "worker", "--threads", "4"],  # pulls take a thread each while they run
    ]
    base = f"http://127.0.0.1:{port}"
    with _processes(commands, env) as children, ExitStack() as cleanup:
        from sync import tasks  # the demo enqueues pulls for the worker, on the same queue

        ctx, dispatcher = tasks.build(settings)
        cleanup.callback(ctx.db.dispose)
        fakes: list[Callable[[], None]] = []
        cleanup.callback(_stop_fakes, fakes)
        _wait_for(f"http://127.0.0.1:{receiver_port}/healthz", children)
        _wait_for(f"{base}/readyz", children)
        sink = _start_sink(ctx, fakes)  # before any lead: qualified leads are routed to it as they are stored
        form_id = _connection_id(ctx, DEMO_CONNECTION)
        form_before = _counts(ctx, form_id)
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
        form = _Platform(None, form_id, "form_webhook", form_before, pushed=lead_count)
        platforms = _run_platforms(ctx, dispatcher, base, fakes)
        everything = [form, *platforms]
        new = [p.new_leads(ctx) for p in everything]
        captured = _wait_received(receiver_port, sum(new), timeout_s=15).get("lead.captured", 0)
        _print_summary(ctx, everything, time.monotonic() - start)
        click.echo(
            f"{captured} lead.captured pushes for the {sum(new)} new leads of this run ({sum(n > 0 for n in new)} "
            "sources) arrived at the sample receiver, each signature verified."
        )
        if sink is not None:
            _report_sink(ctx, sink)
        notes = [note for p in platforms if p.source is not None for note in p.source.notes]
        click.echo(f"""
Where to look:
  {base}/metrics                         intake, leads, deliveries, queue depth
  {base}/readyz                          database and queue health
  {settings.database_url}   every raw record, lead, person and delivery attempt
Post your own lead:
  see docs/connectors/form_webhook.md (connection "{DEMO_CONNECTION}", secret "{DEMO_SIGNING_SECRET}")""")
        for note in notes:
            click.echo(f"  {note}")
        click.echo("Press Ctrl-C to stop every demo process.")
        if once:
            return
        _wait_for_stop(children)
        click.echo("\nStopping the demo …")


# -- the platforms ---------------------------------------------------------------------------------------------


@dataclass
class _Counts:
    records: int = 0  # raw records holding a full platform record (pulled, pushed, or fetched for a push)
    leads: int = 0
    pending: int = 0  # raw records a worker has still to process


@dataclass
class _Platform:
    """One source connection's way through the demo: pull, then push, then the worker's processing."""

    source: DemoSource | None
    connection_id: str
    platform: str
    before: _Counts
    sync_before: datetime | None = None
    pull_started: float = 0.0
    after_pull: _Counts | None = None
    pushed: int | None = None
    problem: str = ""
    done: bool = False

    def new_leads(self, ctx: Context) -> int:
        return _counts(ctx, self.connection_id).leads - self.before.leads


def _connection_id(ctx: Context, name: str) -> str:
    with ctx.db.session() as session:
        found = session.scalar(select(Connection.id).where(Connection.name == name))
    if found is None:
        raise click.ClickException(f"The demo connection {name!r} is missing.")
    return found


def _counts(ctx: Context, connection_id: str) -> _Counts:
    with ctx.db.session() as session:

        def count(model: Any, *where: Any) -> int:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        return _Counts(
            records=count(RawRecord, RawRecord.connection_id == connection_id, RawRecord.kind == "record"),
            leads=count(Lead, Lead.connection_id == connection_id),
            pending=count(RawRecord, RawRecord.connection_id == connection_id, RawRecord.status == "pending"),
        )


def _last_sync(ctx: Context, connection_id: str) -> tuple[datetime | None, str, str | None]:
    with ctx.db.session() as session:
        conn = session.get(Connection, connection_id)
        assert conn is not None
        return conn.last_sync_at, conn.status, conn.status_message


def _start_platforms(ctx: Context, fakes: list[Callable[[], None]]) -> list[_Platform]:
    """Every platform's fake, seeded for this run, and its connection; a platform that fails is skipped."""
    seed = int(time.time())  # new leads in every run: the database keeps earlier runs' leads
    started: list[_Platform] = []
    skipped: list[str] = []
    for name, module in demo_platforms.discover():
        try:
            source: DemoSource = module.start(seed)
        except Exception as exc:  # a broken fake must not take the rest of the demo with it
            skipped.append(f"{name} ({_why(exc)})")
            continue
        fakes.append(source.stop)
        try:
            conn_id = _ensure_connection(ctx, source.connection_name, name, source.settings, source.secrets)
        except Exception as exc:
            skipped.append(f"{name} ({_why(exc)})")
            continue
        started.append(_Platform(source, conn_id, name, _counts(ctx, conn_id)))
    if skipped:
        click.echo(f"Skipped platforms whose fake or connection did not start: {'; '.join(skipped)}")
    return started


def _run_platforms(ctx: Context, dispatcher: Any, base: str, fakes: list[Callable[[], None]]) -> list[_Platform]:
    """Pull every pullable platform on the worker; once its pull is done (or right away for a platform that
    only pushes), let the platform push a couple of leads; wait until the worker has processed all of it."""
    platforms = _start_platforms(ctx, fakes)
    if not platforms:
        return platforms
    click.echo(f"\nStarted {len(platforms)} platform sandbox fakes: {', '.join(p.platform for p in platforms)}")
    for p in platforms:
        assert p.source is not None
        if p.source.pullable:
            p.sync_before = _last_sync(ctx, p.connection_id)[0]
            p.pull_started = time.monotonic()
            dispatcher.pull(p.source.connection_name)  # a Huey task: the worker runs the airbyte-cdk manifest
            click.echo(f"  {p.platform}: pull of {p.source.seeded} waiting leads queued for the worker")
        else:
            _push(ctx, p, base)
    started = time.monotonic()
    deadline = started + PLATFORMS_TIMEOUT_S
    next_progress = started + PROGRESS_EVERY_S
    while time.monotonic() < deadline:
        for p in platforms:
            if p.pushed is None and p.problem == "":
                _check_pull(ctx, p, base)
            if p.pushed is not None and not p.done:
                p.done = _counts(ctx, p.connection_id).pending == 0
        if all(p.done or p.problem for p in platforms):
            break
        if time.monotonic() >= next_progress:
            waiting = [_waiting(ctx, p) for p in platforms if not (p.done or p.problem)]
            click.echo(f"  … {time.monotonic() - started:.0f} s; waiting for {', '.join(waiting)}")
            next_progress += PROGRESS_EVERY_S
        time.sleep(0.3)
    for p in platforms:
        if not (p.done or p.problem):
            p.problem = f"still {_waiting(ctx, p)} after {PLATFORMS_TIMEOUT_S:.0f} s"
    return platforms


def _check_pull(ctx: Context, p: _Platform, base: str) -> None:
    """Has the worker finished this platform's pull? Then the platform pushes."""
    last_sync, status, message = _last_sync(ctx, p.connection_id)
    elapsed = time.monotonic() - p.pull_started
    if last_sync is not None and last_sync != p.sync_before:
        p.after_pull = _counts(ctx, p.connection_id)
        new = p.after_pull.records - p.before.records
        click.echo(f"  {p.platform}: pulled {new} new leads in {elapsed:.1f} s")
        _push(ctx, p, base)
    elif status in ("needs_reauth", "error"):
        p.problem = f"pull failed: {status} ({message})"
        click.echo(f"  {p.platform}: {p.problem}")
    elif elapsed > PULL_TIMEOUT_S:
        p.after_pull = _counts(ctx, p.connection_id)
        click.echo(f"  {p.platform}: the pull has not finished in {elapsed:.0f} s; pushing anyway")
        _push(ctx, p, base)


def _push(ctx: Context, p: _Platform, base: str) -> None:
    assert p.source is not None
    count = PLATFORM_PUSHES if p.source.pullable else PUSH_ONLY_PUSHES
    hook = f"{base}/hooks/{p.platform}/{p.source.connection_name}"
    try:
        p.pushed = p.source.push(hook, count)
    except Exception as exc:
        p.pushed = 0
        p.problem = f"push failed ({_why(exc)})"
        click.echo(f"  {p.platform}: {p.problem}")
        return
    click.echo(f"  {p.platform}: pushed {count} leads by webhook, {p.pushed} accepted")


def _why(exc: Exception) -> str:
    return exc.format_message() if isinstance(exc, click.ClickException) else f"{type(exc).__name__}: {exc}"


def _waiting(ctx: Context, p: _Platform) -> str:
    if p.pushed is None:
        return f"{p.platform} (pulling)"
    return f"{p.platform} ({_counts(ctx, p.connection_id).pending} to process)"


# -- the summary -----------------------------------------------------------------------------------------------


def _print_summary(ctx: Context, platforms: list[_Platform], elapsed_s: float) -> None:
    """Per source: leads this run brought by pull and by push, and every lead of the connection stored."""
    rows = []
    for p in platforms:
        now = _counts(ctx, p.connection_id)
        pullable = p.source is not None and p.source.pullable
        if p.source is None:  # the careers-site form: leads are posted to it
            by_pull, by_push = "-", str(now.records - p.before.records)
        elif p.after_pull is None:
            by_pull = "?" if pullable else "-"
            by_push = str(now.records - p.before.records)
        else:
            by_pull = str(p.after_pull.records - p.before.records)
            by_push = str(now.records - p.after_pull.records)
        rows.append((p.platform, _connection_name(ctx, p.connection_id), by_pull, by_push, str(now.leads), p.problem))
    header = ("source", "connection", "by pull", "by push", "leads stored", "")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]
    click.echo(f"\nLeads by source after {elapsed_s:.0f} s (by pull / by push: new this run; stored: all runs)")
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])] + [row[i].rjust(widths[i]) for i in (2, 3, 4)]
        click.echo("  " + "  ".join(cells) + (f"  {row[5]}" if row[5] else ""))
    shared = _people_on_several_sources(ctx, [p.connection_id for p in platforms])
    if shared:
        click.echo(f"{shared} people answered on two platforms; each is one person in leadhub (identity resolution).")


def _connection_name(ctx: Context, connection_id: str) -> str:
    with ctx.db.session() as session:
        return str(session.scalar(select(Connection.name).where(Connection.id == connection_id)))


def _people_on_several_sources(ctx: Context, connection_ids: list[str]) -> int:
    with ctx.db.session() as session:
        several = (
            select(Lead.person_id)
            .where(Lead.connection_id.in_(connection_ids))
            .group_by(Lead.person_id)
            .having(func.count(func.distinct(Lead.connection_id)) > 1)
        )
        return int(session.scalar(select(func.count()).select_from(several.subquery())) or 0)


# -- HubSpot ------------------------------------------------------------------------------------------------------


def _start_sink(ctx: Context, fakes: list[Callable[[], None]]) -> DemoSink | None:
    """HubSpot's fake as the CRM: qualified leads with recruiting consent become contacts there."""
    try:
        sink = demo_platforms.start_hubspot()
    except Exception as exc:
        click.echo(f"Skipped the HubSpot fake: {_why(exc)}")
        return None
    fakes.append(sink.stop)
    try:
        registry.get(sink.platform, "sink")
        _ensure_connection(ctx, sink.connection_name, sink.platform, sink.settings, sink.secrets)
    except Exception as exc:
        click.echo(f"Skipped the HubSpot fake: {_why(exc)}")
        return None
    return sink


def _report_sink(ctx: Context, sink: DemoSink, timeout_s: float = 10) -> None:
    connection_id = _connection_id(ctx, sink.connection_name)
    deadline = time.monotonic() + timeout_s
    pending = 0
    while time.monotonic() < deadline:
        with ctx.db.session() as session:
            pending = int(
                session.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .where(Delivery.connection_id == connection_id, Delivery.status.in_(("pending", "in_flight")))
                )
                or 0
            )
        if pending == 0:
            break
        time.sleep(0.3)
    waiting = f" ({pending} deliveries still on their way)" if pending else ""
    click.echo(
        f"The HubSpot fake (connection {sink.connection_name!r}) holds {sink.contacts()} contacts: "
        f"qualified leads with recruiting consent{waiting}."
    )


# -- waiting -------------------------------------------------------------------------------------------------------


def _stop_fakes(stops: list[Callable[[], None]]) -> None:
    """Stop every fake at once (each server takes up to half a second to notice), then drop the client
    connections the platforms' emitters left open, so the web role need not linger over them."""
    threads = [threading.Thread(target=stop, daemon=True) for stop in stops]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    gc.collect()


def _wait_for_stop(children: list[subprocess.Popen[bytes]]) -> None:
    """Block until Ctrl-C or SIGTERM (then the caller stops every child), or until a child dies."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(0.5):
        if any(child.poll() is not None for child in children):
            raise click.ClickException("A demo process stopped unexpectedly; see its output above.")


def _wait_received(receiver_port: int, expected: int, timeout_s: float = 60) -> dict[str, int]:
    """Poll the receiver until ``expected`` ``lead.captured`` arrived (or ``timeout_s`` passed)."""
    deadline = time.monotonic() + timeout_s
    by_type: dict[str, int] = {}
    while time.monotonic() < deadline:
        by_type = requests.get(f"http://127.0.0.1:{receiver_port}/healthz", timeout=2).json()["by_type"]
        if by_type.get("lead.captured", 0) >= expected:
            break
        time.sleep(0.3)
    return by_type
