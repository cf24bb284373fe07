"""Configuration as code (``LEADHUB_CONFIG``): connections and webhook endpoints in YAML.

Secrets are written as ``${ENV_VAR}`` references so the file can live in git; export never writes them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from core.context import Context
from core.errors import ConfigurationError
from core.models import Connection, WebhookEndpoint
from sync import connections
from webhooks import endpoints

_ENV_REF = re.compile(r"\$\{([A-Z0-9_]+)\}")


class ConnectionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    platform: str
    settings: dict[str, Any] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(default_factory=dict)


class EndpointConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    url: str
    events: list[str] = Field(default_factory=lambda: ["*"])
    secret: str | None = None


class HubConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connections: list[ConnectionConfig] = Field(default_factory=list)
    endpoints: list[EndpointConfig] = Field(default_factory=list)


def _expand(value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ConfigurationError(f"The config file refers to ${{{name}}}, which is not set in the environment.")
        return os.environ[name]

    return _ENV_REF.sub(replace, value)


def load(path: Path) -> HubConfig:
    try:
        return HubConfig.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise ConfigurationError(f"Cannot read config file {path}: {exc}") from None


def apply(ctx: Context, config: HubConfig) -> list[str]:
    """Create what does not exist yet (by name); returns what was created. Existing objects are left as they are."""
    created: list[str] = []
    with ctx.db.session() as session:
        have_conns = set(session.scalars(select(Connection.name)))
        have_eps = set(session.scalars(select(WebhookEndpoint.name)))
    for conn in config.connections:
        if conn.name not in have_conns:
            secrets = {key: _expand(value) for key, value in conn.secrets.items()}
            connections.create(ctx, conn.name, conn.platform, conn.settings, secrets)
            created.append(f"connection {conn.name}")
    for ep in config.endpoints:
        if ep.name not in have_eps:
            _endpoint, secret = endpoints.create(
                ctx, ep.name, _expand(ep.url), ep.events, _expand(ep.secret) if ep.secret else None
            )
            shown = "" if ep.secret else f" (generated signing secret, shown once: {secret})"
            created.append(f"endpoint {ep.name}{shown}")
    return created


def export(ctx: Context) -> str:
    """The current configuration as YAML, with secrets replaced by environment references."""
    config = HubConfig(
        connections=[
            ConnectionConfig(
                name=c.name,
                platform=c.platform,
                settings=dict(c.settings),
                secrets={key: f"${{{_env_name(c.name, key)}}}" for key in connections.view(ctx, c).secrets},
            )
            for c in connections.list_all(ctx)
        ],
        endpoints=[
            EndpointConfig(
                name=e.name, url=e.url, events=list(e.event_types), secret=f"${{{_env_name(e.name, 'secret')}}}"
            )
            for e in endpoints.list_all(ctx)
        ],
    )
    return yaml.safe_dump(config.model_dump(), sort_keys=False, allow_unicode=True)


def _env_name(*parts: str) -> str:
    return "_".join(re.sub(r"[^A-Za-z0-9]+", "_", part).upper() for part in parts)
