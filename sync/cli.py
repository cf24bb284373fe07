"""The ``leadhub`` command line."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from core.context import Context
from core.errors import LeadhubError
from core.models import Connection
from core.settings import DEV_SECRET_KEY, Settings
from mappings.spec import MappingSpec


def _settings() -> Settings:
    return Settings.from_env()


def _context(settings: Settings | None = None) -> Context:
    settings = settings or _settings()
    return Context.build(settings)


def _ensure_schema(ctx: Context) -> None:
    """SQLite upgrades itself on start; PostgreSQL is upgraded on purpose with ``leadhub migrate``."""
    from core import migrate

    if ctx.settings.is_sqlite:
        migrate.upgrade(ctx.db)
    elif migrate.pending(ctx.db):
        raise click.ClickException("The database schema is behind this version: run `leadhub migrate` first.")


class LeadhubGroup(click.Group):
    """Turns our typed errors into one readable line and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except LeadhubError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=LeadhubGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
def main(verbose: bool) -> None:
    """leadhub: leads and applications in, one person per human, pushes to CRM, ATS and vendor webhooks."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@main.command()
def migrate() -> None:
    """Upgrade the database schema (SQLite or PostgreSQL) to this version."""
    from core import migrate as migrations

    ctx = _context()
    migrations.upgrade(ctx.db)
    click.echo(f"Database is up to date ({ctx.db.engine.url.render_as_string(hide_password=True)}).")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--processes", default=2, show_default=True, type=int, help="Web processes.")
@click.option("--threads", default=8, show_default=True, type=int, help="Threads per process.")
def serve(host: str, port: int, processes: int, threads: int) -> None:
    """Run the web role: inbound webhooks, REST API, admin, /healthz /readyz /metrics."""
    from admin.app import create_app
    from sync.serve import WebServer, options

    settings = _settings()
    _warn_dev_key(settings)
    _ensure_schema(_context(settings))
    click.echo(f"leadhub web on http://{host}:{port}/ ({processes} processes x {threads} threads)")
    WebServer(lambda: create_app(settings), options(host, port, processes, threads)).run()


@main.command()
@click.option("--threads", default=None, type=int, help="Worker threads (default LEADHUB_WORKER_THREADS or 4).")
def worker(threads: int | None) -> None:
    """Run a worker: processes raw records, sends deliveries, sweeps up work a crashed worker left."""
    from sync import worker as worker_mod

    settings = _settings()
    _warn_dev_key(settings)
    _ensure_schema(_context(settings))
    queue = "Redis" if settings.redis_url else f"embedded ({settings.data_dir / 'queue.db'})"
    click.echo(f"leadhub worker on queue {queue}")
    worker_mod.run(settings, threads)


@main.command()
@click.option("--port", default=8000, show_default=True, type=int, help="Web port.")
@click.option("--receiver-port", default=8099, show_default=True, type=int, help="Sample vendor receiver port.")
@click.option("--leads", default=12, show_default=True, type=int, help="Sample leads to post.")
@click.option("--once", is_flag=True, help="Stop after the sample leads are delivered (for scripts and tests).")
def demo(port: int, receiver_port: int, leads: int, once: bool) -> None:
    """Run web, worker and a sample vendor receiver on the embedded defaults, and post sample leads."""
    from sync import demo as demo_mod

    demo_mod.run(_settings(), port, receiver_port, leads, once)


@main.group()
def user() -> None:
    """Admin users."""


@user.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "editor", "viewer"]), default="admin", show_default=True)
@click.option("--password", envvar="LEADHUB_NEW_USER_PASSWORD", help="Read from LEADHUB_NEW_USER_PASSWORD or prompted.")
def user_create(email: str, role: str, password: str | None) -> None:
    """Create a user who can log in to the admin."""
    from admin import users

    if not password:
        if not sys.stdin.isatty():
            raise click.ClickException("No password given: pass --password or set LEADHUB_NEW_USER_PASSWORD.")
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    ctx = _context()
    _ensure_schema(ctx)
    created = users.create(ctx, email, password or "", role)
    click.echo(f"Created {role} {created.email}.")


@main.group()
def apikey() -> None:
    """API keys for the REST API: create (shown once), list, revoke."""


@apikey.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["admin", "editor", "viewer"]),
    default="editor",
    show_default=True,
    help="viewer keys read; editor and admin keys also write.",
)
def apikey_create(name: str, role: str) -> None:
    """Create an API key named NAME (the system that uses it); it is shown once and stored only as a keyed hash."""
    from admin import apikeys

    ctx = _context()
    _ensure_schema(ctx)
    key, plain = apikeys.create(ctx, name, role, created_by="cli")
    click.echo(f"API key {key.name} ({role}, id {key.id}), shown once: {plain}")
    click.echo("Send it as `Authorization: Bearer <key>`; revoke it with `leadhub apikey revoke`.", err=True)


@apikey.command("list")
def apikey_list() -> None:
    """List API keys: id, name, first characters, role, created (when, by whom) and whether revoked."""
    from admin import apikeys

    ctx = _context()
    _ensure_schema(ctx)
    rows = apikeys.list_all(ctx)
    if not rows:
        click.echo("No API keys yet; create one with `leadhub apikey create NAME`.")
    for key in rows:
        state = "active" if key.active else f"revoked {key.revoked_at:%Y-%m-%d %H:%M}"
        click.echo(
            f"{key.id:32} {key.name:24} {key.prefix + '…':12} {key.role:7} "
            f"{key.created_at:%Y-%m-%d %H:%M} {key.created_by or '-':24} {state}"
        )


@apikey.command("revoke")
@click.argument("id_or_name")
def apikey_revoke(id_or_name: str) -> None:
    """Revoke an API key by its id, or by its name when one active key has it; the REST API refuses it at once."""
    from admin import apikeys

    ctx = _context()
    _ensure_schema(ctx)
    key = apikeys.revoke(ctx, apikeys.find(ctx, id_or_name).id, revoked_by="cli")
    click.echo(f"Revoked API key {key.name} ({key.prefix}…, id {key.id}).")


@main.group()
def connectors() -> None:
    """The platforms leadhub can read from and write to."""


@connectors.command("status")
def connectors_status() -> None:
    """Each connection's health: ok, rate-limited until …, or needs re-authorisation (and what to do)."""
    from sync import connections as conns
    from sync import notices

    ctx = _context()
    rows = conns.list_all(ctx)
    if not rows:
        click.echo("No connections yet; add one with `leadhub connections add`.")
    given_up = notices.given_up(ctx) if rows else {}
    for conn in rows:
        last = f"last sync {conn.last_sync_at:%Y-%m-%d %H:%M} UTC" if conn.last_sync_at else "never synced"
        click.echo(f"{conn.name:24} {conn.platform:22} {conn.status:13} {last}")
        if conn.status_message:
            click.echo(f"{'':24} {conn.status_message}")
        if given_up.get(conn.id):
            click.echo(
                f"{'':24} {given_up[conn.id]} pushed notice(s) given up: the platform would not return the lead; "
                "the reason is on the connection's page in the admin."
            )


@connectors.command("list")
def connectors_list() -> None:
    """List every source and sink connector and whether it is available yet."""
    from connectors.registry import CONNECTORS

    for info in sorted(CONNECTORS.values(), key=lambda i: (i.direction, i.name)):
        click.echo(f"{info.direction:6}  {info.name:24} {info.status}")


@main.group()
def connections() -> None:
    """Configured sources and sinks."""


@connections.command("add")
@click.argument("name")
@click.option("--platform", required=True, help="Connector name, see `leadhub connectors list`.")
@click.option("--secret", "secrets", multiple=True, metavar="KEY=VALUE", help="A secret (stored encrypted).")
@click.option("--setting", "settings_", multiple=True, metavar="KEY=VALUE", help="A setting.")
def connections_add(name: str, platform: str, secrets: tuple[str, ...], settings_: tuple[str, ...]) -> None:
    """Add a connection, e.g. `leadhub connections add careers --platform form_webhook --secret signing_secret=…`."""
    from sync import connections as conns

    ctx = _context()
    _ensure_schema(ctx)
    conn = conns.create(ctx, name, platform, _pairs(settings_), _pairs(secrets))
    click.echo(f"Created connection {conn.name} ({conn.platform}).")
    if platform == "form_webhook":
        click.echo(f"Post signed submissions to /hooks/form_webhook/{conn.name}")


@connections.command("set-secret")
@click.argument("name")
@click.argument("secrets", nargs=-1, required=True, metavar="KEY=VALUE...")
def connections_set_secret(name: str, secrets: tuple[str, ...]) -> None:
    """Store new credentials (e.g. after re-authorising); waiting work resumes."""
    from sync import connections as conns

    conns.update_secrets(_context(), name, _pairs(secrets))
    click.echo(f"Updated {', '.join(_pairs(secrets))} of {name}; the connection is marked ok again.")


@connections.command("list")
def connections_list() -> None:
    """List configured connections and their status."""
    from sync import connections as conns

    for conn in conns.list_all(_context()):
        click.echo(f"{conn.name:24} {conn.platform:22} {conn.direction:6} {conn.status}")


@main.group()
def endpoints() -> None:
    """Vendor webhook endpoints (Standard Webhooks)."""


@endpoints.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--events", default="*", show_default=True, help="Comma-separated event types, * for all.")
@click.option("--secret", default=None, help="whsec_… secret; generated when omitted.")
def endpoints_add(name: str, url: str, events: str, secret: str | None) -> None:
    """Register a vendor endpoint; prints its signing secret once."""
    from webhooks import endpoints as eps

    ctx = _context()
    _ensure_schema(ctx)
    endpoint, plain = eps.create(ctx, name, url, [e.strip() for e in events.split(",") if e.strip()], secret)
    click.echo(f"Created endpoint {endpoint.name} -> {endpoint.url}")
    click.echo(f"Signing secret (shown once): {plain}")


@endpoints.command("list")
def endpoints_list() -> None:
    """List vendor endpoints."""
    from webhooks import endpoints as eps

    for ep in eps.list_all(_context()):
        state = "enabled" if ep.enabled else f"disabled: {ep.disabled_reason}"
        click.echo(f"{ep.name:24} {ep.url:40} {','.join(ep.event_types):30} {state}")


@endpoints.command("rotate")
@click.argument("name")
def endpoints_rotate(name: str) -> None:
    """Give an endpoint a new secret; the old one keeps signing beside it for 24 hours."""
    from webhooks import endpoints as eps

    ctx = _context()
    match = [ep for ep in eps.list_all(ctx) if ep.name == name]
    if not match:
        raise click.ClickException(f"No endpoint named {name!r}.")
    click.echo(f"New signing secret (shown once): {eps.rotate(ctx, match[0].id)}")


@main.command("sync")
@click.argument("connection")
def sync_cmd(connection: str) -> None:
    """Pull new leads from a source connection now (incremental from its saved state)."""
    from sync import pull, tasks

    settings = _settings()
    ctx, _dispatcher = tasks.build(settings)
    _ensure_schema(ctx)
    from sync import activation, connections

    if connections.find(ctx, connection).direction == "sink":  # read back: CRM progress, ATS statuses
        click.echo(activation.poll_sink(ctx, connection))
        return
    with Counter(f"Syncing {connection}") as counter:
        result = pull.run(ctx, connection, progress=counter.add)
    click.echo(
        f"{result.records} records read, {result.stored} new stored and queued for processing, "
        f"{result.skipped_known} already known."
    )


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--connection", required=True, help="A file_import connection (its mapping names the columns).")
def import_cmd(file: Path, connection: str) -> None:
    """Import a CSV or JSONL file: encoding and delimiter detected, bad rows reported, good rows kept."""
    from sync import file_import, tasks

    settings = _settings()
    ctx, _dispatcher = tasks.build(settings)
    _ensure_schema(ctx)
    with Counter(f"Importing {file.name}") as counter:
        report = file_import.run(ctx, file, connection, progress=counter.add)
    click.echo(report.summary())
    for problem in report.problems[:50]:
        click.echo(f"  line {problem.line}: {problem.reason}", err=True)
    if len(report.problems) > 50:
        click.echo(f"  … and {len(report.problems) - 50} more; all are in {report.problems_file}", err=True)


@main.group()
def mapping() -> None:
    """A connection's mapping: show, preview a draft on stored records, publish and replay."""


def _connection_row(ctx: Context, name: str) -> Connection:
    from sqlalchemy import select

    with ctx.db.session() as session:
        conn = session.scalar(select(Connection).where(Connection.name == name))
    if conn is None:
        raise click.ClickException(f"No connection named {name!r}; see `leadhub connections list`.")
    return conn


@mapping.command("show")
@click.argument("connection")
def mapping_show(connection: str) -> None:
    """Print the published mapping of a connection as YAML (its version first)."""
    import yaml

    from mappings import versions

    ctx = _context()
    conn = _connection_row(ctx, connection)
    with ctx.db.transaction() as session:
        current = versions.published(session, conn)
        click.echo(f"# {connection}: mapping version {current.version}")
        click.echo(yaml.safe_dump(current.spec, sort_keys=False, allow_unicode=True), nl=False)


def _load_spec(file: Path) -> MappingSpec:
    from pydantic import ValidationError

    try:
        return MappingSpec.from_yaml(file.read_text(encoding="utf-8"))
    except (ValidationError, ValueError) as exc:
        raise click.ClickException(f"{file} is not a valid mapping: {exc}") from None


@mapping.command("preview")
@click.argument("connection")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.option("--limit", default=5, show_default=True, help="How many of the latest stored records.")
def mapping_preview(connection: str, file: Path | None, limit: int) -> None:
    """Map the latest stored records with a draft (FILE) or the published mapping; show output and errors."""
    from mappings import preview, versions

    ctx = _context()
    conn = _connection_row(ctx, connection)
    with ctx.db.transaction() as session:
        spec = _load_spec(file) if file else MappingSpec.model_validate(versions.published(session, conn).spec)
        rows = preview.preview(session, conn.id, conn.platform, spec, limit)
    if not rows:
        click.echo("No stored records yet for this connection: receive or sync some first.")
    for row in rows:
        click.echo(f"--- {row.raw_record_id}")
        click.echo(json.dumps(row.mapped, ensure_ascii=False, indent=2) if row.mapped else "(not mappable)")
        for error in row.errors:
            click.echo(f"  error in {error.field}: {error.reason}")


@mapping.command("publish")
@click.argument("connection")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replay/--no-replay", default=False, help="Re-map every stored record of the connection.")
def mapping_publish(connection: str, file: Path, replay: bool) -> None:
    """Publish FILE as the connection's next mapping version, optionally replaying stored records."""
    from mappings import replay as replay_mod
    from sync import tasks

    settings = _settings()
    ctx, _dispatcher = tasks.build(settings)
    conn = _connection_row(ctx, connection)
    version = replay_mod.publish(ctx, conn.id, _load_spec(file), "cli")
    click.echo(f"Published mapping version {version.version} for {connection}.")
    if replay:
        with Counter(f"Replaying {connection}") as counter:
            result = replay_mod.replay(ctx, conn.id, version, progress=counter.add)
        click.echo(
            f"{result.updated} leads updated, {result.created_again} failed records queued again, "
            f"{result.failed} still failing."
        )


@main.group()
def deliveries() -> None:
    """The outbox: replay dead letters."""


@deliveries.command("replay")
@click.argument("ids", nargs=-1)
@click.option("--sink", default=None, help="Only deliveries to this sink (webhook, hubspot, …).")
@click.option("--status", default="dead", show_default=True, help="Which deliveries: dead (letters) or pending.")
@click.option("--since", type=click.DateTime(), default=None, help="Created at or after (UTC).")
def deliveries_replay(ids: tuple[str, ...], sink: str | None, status: str, since: object) -> None:
    """Send deliveries again (by id, or all matching the filter) with a fresh retry schedule."""
    from datetime import UTC, datetime

    from sync import redeliver, tasks

    ctx, _dispatcher = tasks.build(_settings())
    when = since.replace(tzinfo=UTC) if isinstance(since, datetime) else None
    replayed = redeliver.replay(ctx, list(ids) or None, sink, status, when)
    click.echo(f"{len(replayed)} deliveries queued again.")


@main.group()
def rules() -> None:
    """Qualification rules (LEADHUB_RULES, or the defaults shipped with leadhub)."""


@rules.command("apply")
def rules_apply() -> None:
    """Re-evaluate every open lead against the current rules; stage changes are announced as events."""
    from sync import requalify, tasks

    ctx, _dispatcher = tasks.build(_settings())
    with Counter("Re-evaluating open leads") as counter:
        counts = requalify.run(ctx, progress=counter.add)
    click.echo(", ".join(f"{key}: {value}" for key, value in counts.items()))


@main.group()
def export() -> None:
    """Exports for analysts and auditors."""


@export.command("leads")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write; stdout when omitted.",
)
def export_leads(fmt: str, output: Path | None) -> None:
    """Every lead with source, external id, person id, stage and mapping version."""
    from sync import export as export_mod

    ctx = _context()
    if output is None:
        export_mod.write(ctx, sys.stdout, fmt)
        return
    with output.open("w", encoding="utf-8", newline="") as out, Counter("Exporting leads") as counter:
        count = export_mod.write(ctx, out, fmt, progress=counter.add)
    click.echo(f"Wrote {count} leads to {output}", err=True)


@main.group()
def schema() -> None:
    """The canonical model's JSON Schema (the public contract for vendors)."""


@schema.command("export")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write; stdout when omitted.",
)
@click.option(
    "--events",
    "events_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write one JSON Schema per webhook event type (<type>.json) into this folder; "
    "the canonical schema is then written only with --output.",
)
def schema_export(output: Path | None, events_dir: Path | None) -> None:
    """Write the JSON Schema of Person, Lead, Application, Job, Consent, Attribution and Answer."""
    from core.schema import SCHEMA_VERSION, json_schema

    if events_dir is not None:
        from webhooks import event_schemas

        written = event_schemas.write_all(events_dir)
        click.echo(f"Wrote {len(written)} event schemas {SCHEMA_VERSION} to {events_dir}", err=True)
        if output is None:
            return
    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote canonical schema {SCHEMA_VERSION} to {output}", err=True)


@main.group()
def config() -> None:
    """Configuration as code (YAML)."""


@config.command("export")
def config_export() -> None:
    """Print connections and endpoints as YAML, secrets as ${ENV} references."""
    from sync import config_file

    click.echo(config_file.export(_context()), nl=False)


@config.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
def config_import(file: Path | None) -> None:
    """Create the connections and endpoints a YAML file describes (default LEADHUB_CONFIG)."""
    from sync import config_file

    settings = _settings()
    path = file or settings.config_path
    if path is None:
        raise click.ClickException("Name a file or set LEADHUB_CONFIG.")
    ctx = _context(settings)
    _ensure_schema(ctx)
    created = config_file.apply(ctx, config_file.load(path))
    click.echo("\n".join(f"created {item}" for item in created) or "Nothing to create; everything exists.")


class Counter:
    """A progress line for work of unknown length: count and rate, redrawn at most ten times a second."""

    def __init__(self, label: str) -> None:
        import time

        self._time = time.monotonic
        self.label, self.count, self._start, self._drawn = label, 0, self._time(), 0.0

    def __enter__(self) -> Counter:
        return self

    def add(self, n: int = 1) -> None:
        self.count += n
        now = self._time()
        if now - self._drawn > 0.1:
            self._drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self.count / max(now - self._start, 1e-6)
        click.echo(f"\r{self.label}: {self.count} records ({rate:,.0f}/s)", nl=False, err=True)

    def __exit__(self, *exc: object) -> None:
        self._draw(self._time())
        click.echo("", err=True)


def _pairs(items: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE")
        out[key.strip()] = value
    return out


def _warn_dev_key(settings: Settings) -> None:
    if settings.secret_key == DEV_SECRET_KEY:
        click.echo("warning: LEADHUB_SECRET_KEY is not set; using the development key. Set it in production.", err=True)


if __name__ == "__main__":
    main()
