"""google_ads_lead_forms: Google Ads lead form assets POST each lead (``WebhookLead``) to us; the body is the lead."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from pathlib import Path

from connectors.sources.google_ads_lead_forms import payload
from core.errors import SignatureInvalid
from mappings.spec import MappingSpec

NAME = "google_ads_lead_forms"
DESCRIPTION = "Google Ads lead form webhook (WebhookLead JSON, authenticated by the shared google_key)."
DIRECTION = "source"
SECRET_FIELDS = ("google_key",)


def default_mapping() -> MappingSpec:
    return MappingSpec.from_yaml((Path(__file__).parent / "mapping.yaml").read_text(encoding="utf-8"))


def verify(headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str], tolerance_s: int) -> None:
    """Google signs nothing: the body carries the key configured on the form; compare it in constant time.

    Every secret whose name starts with ``google_key`` is accepted, so a key can be rotated without a gap.
    """
    sent = payload.load(body).get("google_key")
    if not isinstance(sent, str) or not sent:
        raise SignatureInvalid("The body has no google_key; set the key in the lead form's webhook settings.")
    keys = [value for name, value in secrets.items() if name.startswith("google_key") and value]
    if not any(hmac.compare_digest(sent.encode(), key.encode()) for key in keys):
        raise SignatureInvalid(
            "google_key does not match this connection's key; use the same key in the lead form's webhook settings."
        )


def parse(body: bytes) -> payload.WebhookLead:
    return payload.parse(body)


def external_id(body: bytes) -> str:
    return payload.parse(body).lead_id
