"""Connections: create, find and read the decrypted secrets of configured sources and sinks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from connectors import registry
from core.context import Context
from core.errors import ConfigurationError, NotFound
from core.ids import new_id
from core.models import Connection
from mappings import consents


@dataclass(frozen=True)
class ConnectionView:
    """What request handlers need of a connection, secrets decrypted (never logged, never rendered)."""

    id: str
    name: str
    platform: str
    direction: str
    enabled: bool
    settings: dict[str, Any]
    secrets: dict[str, str]


def create(
    ctx: Context,
    name: str,
    platform: str,
    settings: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
) -> Connection:
    """A new connection, its secrets encrypted; refuses missing secrets and an invalid consent-purpose map."""
    info = registry.get(platform)
    module = info.load()
    missing = [f for f in getattr(module, "SECRET_FIELDS", ()) if not (secrets or {}).get(f)]
    if missing:
        raise ConfigurationError(f"Connection {name!r} ({platform}) needs the secret(s): {', '.join(missing)}.")
    try:
        settings = consents.checked_settings(settings or {})
    except ValueError as exc:
        raise ConfigurationError(f"Connection {name!r} ({platform}): {exc}.") from None
    with ctx.db.transaction() as session:
        if session.scalar(select(Connection.id).where(Connection.name == name)):
            raise ConfigurationError(f"A connection named {name!r} exists already; choose another name.")
        conn = Connection(
            id=new_id("conn"),
            name=name,
            platform=platform,
            direction=info.direction,
            settings=settings,
            secrets_encrypted=ctx.box.encrypt(json.dumps(secrets or {})),
        )
        session.add(conn)
    return conn


def find(ctx: Context, name: str) -> ConnectionView:
    with ctx.db.session() as session:
        conn = session.scalar(select(Connection).where(Connection.name == name))
        if conn is None:
            raise NotFound(
                f"No connection named {name!r}. Create it with `leadhub connections add` or the config file."
            )
        return view(ctx, conn)


def view(ctx: Context, conn: Connection) -> ConnectionView:
    secrets = json.loads(ctx.box.decrypt(conn.secrets_encrypted)) if conn.secrets_encrypted else {}
    return ConnectionView(conn.id, conn.name, conn.platform, conn.direction, conn.enabled, dict(conn.settings), secrets)


def list_all(ctx: Context) -> list[Connection]:
    with ctx.db.session() as session:
        return list(session.scalars(select(Connection).order_by(Connection.name)))


def update_secrets(ctx: Context, name: str, secrets: dict[str, str]) -> None:
    """New credentials (merged over the stored ones); the connection is healthy again and its waiting
    deliveries become due now."""
    from sqlalchemy import update

    from core.models import Delivery, utcnow

    with ctx.db.transaction() as session:
        conn = session.scalar(select(Connection).where(Connection.name == name))
        if conn is None:
            raise NotFound(f"No connection named {name!r}.")
        current = json.loads(ctx.box.decrypt(conn.secrets_encrypted)) if conn.secrets_encrypted else {}
        conn.secrets_encrypted = ctx.box.encrypt(json.dumps({**current, **secrets}))
        conn.status, conn.status_message, conn.rate_limited_until = "ok", None, None
        session.execute(
            update(Delivery)
            .where(Delivery.connection_id == conn.id, Delivery.status == "pending")
            .values(next_attempt_at=utcnow())
        )
