"""A connection's settings with their defaults; TikTok's error codes and signature scheme are configurable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_BASE_URL = "https://business-api.tiktok.com"
API_PATH = "/open_api/v1.3"
# Codes seen in public clients, not in TikTok's own docs (docs/connectors/tiktok_leads.md, "Unconfirmed").
RATE_LIMIT_CODES = (40100,)
AUTH_ERROR_CODES = (40001, 40102, 40104, 40105)
SIGNATURE_HEADER = "TikTok-Signature"
SIGNATURE_SCHEMES = ("raw", "timestamped")


def codes(value: Any, default: tuple[int, ...]) -> list[int]:
    """``[40100]``, ``"40100, 40101"`` or ``40100`` (the CLI stores settings as text) as a list of ints."""
    if value in (None, "", []):
        return list(default)
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list | tuple) else [value]
    return [int(str(item).strip()) for item in items if str(item).strip()]


@dataclass(frozen=True)
class TikTokSettings:
    base_url: str
    advertiser_id: str
    page_id: str
    rate_limit_codes: list[int]
    auth_error_codes: list[int]
    rate_limit_wait_s: float
    signature_header: str
    signature_scheme: str
    page_size: int

    @property
    def api(self) -> str:
        return self.base_url + API_PATH

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> TikTokSettings:
        scheme = str(settings.get("signature_scheme") or "raw")
        if scheme not in SIGNATURE_SCHEMES:
            raise ValueError(f"signature_scheme must be one of {', '.join(SIGNATURE_SCHEMES)}, not {scheme!r}.")
        return cls(
            base_url=str(settings.get("base_url") or DEFAULT_BASE_URL).rstrip("/"),
            advertiser_id=str(settings.get("advertiser_id") or ""),
            page_id=str(settings.get("page_id") or ""),
            rate_limit_codes=codes(settings.get("rate_limit_codes"), RATE_LIMIT_CODES),
            auth_error_codes=codes(settings.get("auth_error_codes"), AUTH_ERROR_CODES),
            rate_limit_wait_s=float(settings.get("rate_limit_wait_s") or 60),
            signature_header=str(settings.get("signature_header") or SIGNATURE_HEADER),
            signature_scheme=scheme,
            page_size=int(settings.get("page_size") or 100),
        )
