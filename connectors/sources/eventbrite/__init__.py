"""eventbrite: attendees of an organization's events are leads; pulled by manifest, pushed by webhook + re-fetch."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.sources.base import ConnectionLike, Notice, base_url
from connectors.sources.eventbrite import api, intake, webhook
from mappings.spec import MappingSpec

NAME = "eventbrite"
DESCRIPTION = "Eventbrite attendees (career fairs, info events): pulled incrementally, webhooks re-fetched."
DIRECTION = "source"
SECRET_FIELDS = ("private_token",)
MANIFEST = Path(__file__).parent / "manifest.yaml"
RECORD_STREAM = "attendees"
DEFAULT_START_DAYS = 365

fetch = api.fetch


def default_mapping() -> MappingSpec:
    return MappingSpec.from_yaml((Path(__file__).parent / "mapping.yaml").read_text(encoding="utf-8"))


def verify(headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str], tolerance_s: int) -> None:
    """Eventbrite signs nothing: check the optional shared token first, then that ``api_url`` names its API."""
    webhook.check_token(secrets, intake.query_param(webhook.TOKEN_PARAM) or headers.get(webhook.TOKEN_HEADER))
    webhook.check_origin(webhook.parse(body).api_url, intake.connection_settings())


def notices(body: bytes) -> list[Notice]:
    return webhook.notices(body)


def record_id(record: dict[str, Any]) -> str:
    return str(record["id"])


def source_config(conn: ConnectionLike) -> dict[str, Any]:
    """The manifest's config; the first sync reaches back ``start_date`` (default: a year)."""
    start = conn.settings.get("start_date") or (datetime.now(UTC) - timedelta(days=DEFAULT_START_DAYS)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    return {
        "private_token": conn.secrets["private_token"],
        "base_url": base_url(conn, api.DEFAULT_BASE_URL),
        "start_date": start,
        "rate_limit_wait_s": float(conn.settings.get("rate_limit_wait_s", 60)),
    }
