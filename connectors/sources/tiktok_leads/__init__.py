"""tiktok_leads: TikTok Lead Generation instant forms, pulled by export task and pushed by lead webhooks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from connectors.sources.tiktok_leads import record, signature
from connectors.sources.tiktok_leads.push import fetch as fetch
from connectors.sources.tiktok_leads.push import notices as notices
from connectors.sources.tiktok_leads.settings import TikTokSettings
from core.errors import ConfigurationError, SignatureInvalid
from mappings.spec import MappingSpec

NAME = "tiktok_leads"
DESCRIPTION = "TikTok Lead Generation instant forms: export-task pull and lead webhooks (fetched by lead id)."
DIRECTION = "source"
SECRET_FIELDS = ("access_token", "app_secret")
# Opt-in question key → purpose. A form asks for contact with a question labelled "Einwilligung: Kontaktaufnahme";
# the sandbox form has only the talent-pool opt-in, so its leads stay unqualified (docs/connectors/tiktok_leads.md).
CONSENT_PURPOSES = {
    "einwilligung_aufnahme_in_den_talentpool": "talent_pool",
    "einwilligung_kontaktaufnahme": "recruiting_contact",
}
MANIFEST = Path(__file__).parent / "manifest.yaml"
RECORD_STREAM = "leads"


def default_mapping() -> MappingSpec:
    return MappingSpec.from_yaml((Path(__file__).parent / "mapping.yaml").read_text(encoding="utf-8"))


def record_id(row: dict[str, Any]) -> str:
    """The lead_id: the external id, unique per advertiser, so (advertiser_id, lead_id) dedupes too."""
    return record.lead_id(row)


def source_config(conn: Any) -> dict[str, Any]:
    """The manifest's config from a connection (settings, with defaults, and the access token)."""
    s = TikTokSettings.of(conn.settings)
    if not s.advertiser_id:
        raise ConfigurationError(f"Connection {conn.name!r} needs the setting advertiser_id to pull leads.")
    return {
        "base_url": s.base_url,
        "access_token": conn.secrets["access_token"],
        "advertiser_id": s.advertiser_id,
        "page_id": s.page_id,
        "rate_limit_codes": s.rate_limit_codes,
        "auth_error_codes": s.auth_error_codes,
        "rate_limit_wait_s": s.rate_limit_wait_s,
        "page_size": s.page_size,
        "export_timeout_min": int(conn.settings.get("export_timeout_min") or 30),
    }


def _request_settings() -> Mapping[str, Any]:
    """The settings of the connection whose webhook is being answered.

    ``verify`` is handed only the secrets (framework change requested: pass the settings too); until then the
    inbound request names the connection, and the endpoint's connection cache has its settings.
    """
    from flask import current_app, has_request_context, request

    if not has_request_context() or not request.view_args:
        return {}
    cache = current_app.extensions.get("leadhub.connections")
    name = request.view_args.get("connection")
    return cache.get(name).settings if cache is not None and name else {}


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Mapping[str, str],
    tolerance_s: int,
    settings: Mapping[str, Any] | None = None,
) -> None:
    """Raise :class:`SignatureInvalid` unless the header signs the raw body with an app secret."""
    try:
        s = TikTokSettings.of(_request_settings() if settings is None else settings)
    except ValueError as exc:
        raise SignatureInvalid(f"The connection's settings cannot check signatures: {exc}") from None
    keys = [value for key, value in secrets.items() if key.startswith("app_secret") and value]
    if not keys:
        raise SignatureInvalid("The connection has no app_secret to check TikTok's signature with.")
    value = headers.get(s.signature_header)
    signature.verify(value, body, keys, s.signature_scheme, s.signature_header, tolerance_s)
