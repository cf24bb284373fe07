"""A connection's settings and secrets → what the manifest and fetch() need, with LinkedIn's defaults."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.sources.base import ConnectionLike, base_url
from connectors.sources.linkedin_lead_gen.signature import DEFAULT_PREFIX
from core.errors import ConfigurationError

DEFAULT_BASE_URL = "https://api.linkedin.com"
LINKEDIN_OAUTH_URL = "https://www.linkedin.com/oauth/v2/accessToken"
DEFAULT_VERSION = "202610"  # bump deliberately: LinkedIn sunsets a version about a year after its release
# The lead fields LinkedIn's own Postman collection projects, plus the raw campaign and creative URNs.
PROJECTION = (
    "owner,ownerInfo,associatedEntity,associatedEntityInfo,leadMetadata,leadMetadataInfo,leadType,"
    "versionedLeadGenFormUrn,id,submittedAt,testLead,formResponse,form:(hiddenFields,creationLocale,name,id,content)"
)


def api_base(conn: ConnectionLike) -> str:
    return base_url(conn, DEFAULT_BASE_URL)


def token_url(conn: ConnectionLike) -> str:
    """The OAuth token endpoint: set explicitly, LinkedIn's for the real API, else the sandbox's own."""
    explicit = conn.settings.get("token_url")
    if explicit:
        return str(explicit)
    api = api_base(conn)
    return LINKEDIN_OAUTH_URL if api == DEFAULT_BASE_URL else f"{api}/oauth/v2/accessToken"


def version(conn: ConnectionLike) -> str:
    return str(conn.settings.get("linkedin_version") or DEFAULT_VERSION)


def signature_prefix(settings: Mapping[str, Any] | None) -> str:
    """``hmacsha256=`` unless the connection's setting says otherwise (``""`` signs the raw body alone)."""
    prefix = (settings or {}).get("signature_prefix")
    return DEFAULT_PREFIX if prefix is None else str(prefix)


def can_refresh(conn: ConnectionLike) -> bool:
    return all(conn.secrets.get(name) for name in ("refresh_token", "client_id", "client_secret"))


def _start_date(value: Any) -> str | None:
    if not value:
        return None
    text = str(value).strip().replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text if "T" in text else f"{text}T00:00:00+00:00")
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def source_config(conn: ConnectionLike) -> dict[str, Any]:
    """The manifest's config: refresh-token OAuth when the secrets allow it, else the stored access token."""
    account = str(conn.settings.get("sponsored_account_id") or "").strip()
    if not account.isdigit():
        raise ConfigurationError(
            f"Connection {conn.name!r} needs the setting sponsored_account_id (the numeric LinkedIn ad account id)."
        )
    credentials: dict[str, str]
    if can_refresh(conn):
        credentials = {"auth_method": "oauth2.0", **{k: conn.secrets[k] for k in ("client_id", "client_secret")}}
        credentials["refresh_token"] = conn.secrets["refresh_token"]
    else:
        credentials = {"auth_method": "access_token", "access_token": conn.secrets.get("access_token", "")}
    config: dict[str, Any] = {
        "credentials": credentials,
        "sponsored_account_id": account,
        "linkedin_version": version(conn),
        "base_url": api_base(conn),
        "token_url": token_url(conn),
    }
    start = _start_date(conn.settings.get("start_date"))
    if start:
        config["start_date"] = start
    for key in ("page_size", "backoff_factor_s"):
        if conn.settings.get(key) is not None:
            config[key] = conn.settings[key]
    return config
