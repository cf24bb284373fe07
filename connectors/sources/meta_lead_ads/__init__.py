"""meta_lead_ads: Facebook and Instagram lead forms of a Page, pulled through the Graph API and pushed by webhook."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

from connectors.sources.base import ConnectionLike, HandshakeReply, Notice, base_url
from connectors.sources.meta_lead_ads import graph, payload, signature
from core.errors import ConfigurationError
from mappings.spec import MappingSpec

NAME = "meta_lead_ads"
DESCRIPTION = "Facebook/Instagram Lead Ads of one Page: Graph API pull (forms, leads) and leadgen webhooks."
DIRECTION = "source"
SECRET_FIELDS = ("access_token", "app_secret", "verify_token")
# checkbox_key → purpose for the keys of the sandbox forms (docs/connectors/meta_lead_ads.md, "Consents"); a
# connection's setting consent_purposes replaces this map for its own forms' keys.
CONSENT_PURPOSES = {
    "kontakt_bewerbung": "recruiting_contact",
    "rueckruf": "recruiting_contact",
    "talentpool": "talent_pool",
}
MANIFEST = Path(__file__).parent / "manifest.yaml"
RECORD_STREAM = "leads"
NUMERIC_SETTINGS: dict[str, type[int] | type[float]] = {
    "page_size": int,
    "max_rate_limit_wait_s": float,
    "wait_scale": float,
}


def default_mapping() -> MappingSpec:
    return MappingSpec.from_yaml((Path(__file__).parent / "mapping.yaml").read_text(encoding="utf-8"))


def source_config(conn: ConnectionLike) -> dict[str, Any]:
    """The manifest's config from a connection: secrets from the vault, the rest from its settings."""
    if not conn.settings.get("page_id"):
        raise ConfigurationError(f"Connection {conn.name!r} needs the setting page_id (the Facebook Page id).")
    config: dict[str, Any] = {
        "access_token": conn.secrets["access_token"],
        "page_id": str(conn.settings["page_id"]),
        "base_url": base_url(conn, graph.DEFAULT_BASE_URL),
        "api_version": conn.settings.get("api_version") or graph.DEFAULT_VERSION,
    }
    start = str(conn.settings.get("start_date") or "")
    if start:
        config["start_date"] = start if "T" in start else f"{start}T00:00:00Z"  # a bare date means its midnight UTC
    for key, kind in NUMERIC_SETTINGS.items():  # CLI and config-file settings arrive as strings
        if conn.settings.get(key) not in (None, ""):
            try:
                config[key] = kind(conn.settings[key])
            except ValueError:
                raise ConfigurationError(f"Setting {key} of {conn.name!r} must be a number.") from None
    if conn.secrets.get("app_secret"):
        config["app_secret"] = conn.secrets["app_secret"]
    return config


def record_id(record: Mapping[str, Any]) -> str:
    return str(record["id"])


def verify(headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str], tolerance_s: int) -> None:
    """Raise :class:`SignatureInvalid` unless ``X-Hub-Signature-256`` matches (Meta signs without a timestamp)."""
    keys = [value for key, value in secrets.items() if key.startswith("app_secret") and value]
    signature.verify(headers.get(signature.HEADER), body, keys)


def notices(body: bytes) -> list[Notice]:
    return payload.notices(body)


def fetch(conn: ConnectionLike, notice: Notice, http: requests.Session) -> list[dict[str, Any]]:
    return [graph.fetch_lead(http, conn, notice.external_id)]


def handshake(args: Mapping[str, str], conn: ConnectionLike) -> HandshakeReply:
    """Meta's subscription check: echo ``hub.challenge`` when ``hub.verify_token`` is ours, else 403."""
    token = args.get("hub.verify_token") or ""
    expected = conn.secrets.get("verify_token") or ""
    if (
        args.get("hub.mode") != "subscribe"
        or not expected
        or not hmac.compare_digest(token.encode(), expected.encode())
    ):
        return HandshakeReply(403, "hub.verify_token does not match this connection's verify_token.")
    challenge = args.get("hub.challenge")
    if not challenge:
        return HandshakeReply(400, "hub.challenge is missing.")
    return HandshakeReply(200, challenge)
