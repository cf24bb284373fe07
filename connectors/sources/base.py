"""What a source connector module offers; ``connectors/sources/README.md`` explains each piece.

A module may leave out what its platform does not do: no ``handshake`` without a GET challenge, no
``notices``/``fetch`` when a push carries the whole record, no ``MANIFEST`` when nothing can be pulled.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import requests

from mappings.spec import MappingSpec


@dataclass(frozen=True)
class Notice:
    """One record a push names: fetch it (``created``) or remove it (``deleted``)."""

    external_id: str
    action: str = "created"  # created | deleted
    ref: str | None = None  # what to fetch when the id alone is not enough (Eventbrite's api_url)


@dataclass(frozen=True)
class HandshakeReply:
    status: int
    body: str
    content_type: str = "text/plain"


class ConnectionLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def settings(self) -> dict[str, Any]: ...

    @property
    def secrets(self) -> dict[str, str]: ...


class SourcePlugin(Protocol):
    NAME: str
    DESCRIPTION: str
    DIRECTION: str
    SECRET_FIELDS: tuple[str, ...]

    def default_mapping(self) -> MappingSpec: ...

    def verify(self, headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str], tolerance_s: int) -> None: ...

    def external_id(self, body: bytes) -> str | None: ...


def has(plugin: Any, name: str) -> bool:
    """Whether a connector module offers an optional hook (``handshake``, ``notices``, ``fetch`` …)."""
    return callable(getattr(plugin, name, None))


def verify(
    plugin: Any, headers: Any, body: bytes, conn: ConnectionLike, tolerance_s: int, args: Mapping[str, str]
) -> None:
    """Call the plugin's ``verify`` with the optional ``settings=`` and ``args=`` (query string) it accepts."""
    accepted = inspect.signature(plugin.verify).parameters
    extra: dict[str, Any] = {}
    if "settings" in accepted:
        extra["settings"] = conn.settings
    if "args" in accepted:
        extra["args"] = args
    plugin.verify(headers, body, conn.secrets, tolerance_s, **extra)


def base_url(conn: ConnectionLike, default: str) -> str:
    """The platform's API base: the real one by default, a sandbox fake when the connection says so."""
    return str(conn.settings.get("base_url") or default).rstrip("/")


def new_http() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = "leadhub/0.1 (+https://github.com/leadhub)"
    return session
