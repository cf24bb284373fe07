"""The platform side of Meta's ``leadgen`` webhooks: the GET ``hub.*`` handshake and signed POST deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import requests

from connectors.sources.meta_lead_ads.fake_seed import PAGE_ID

USER_AGENT = "facebookexternalua"


def leadgen_value(lead: dict[str, Any], page_id: str = PAGE_ID, numeric_ids: bool = False) -> dict[str, Any]:
    """One change ``value``: ids only; ``ad_id``/``adgroup_id`` are 0 for organic and test leads."""
    created = lead["created_time"]
    unix = created if isinstance(created, int) else int(datetime.strptime(created, "%Y-%m-%dT%H:%M:%S%z").timestamp())
    ids = {
        "leadgen_id": lead["id"],
        "page_id": page_id,
        "form_id": lead["form_id"],
        "ad_id": lead.get("ad_id") or "0",
        "adgroup_id": lead.get("adset_id") or "0",
    }
    if numeric_ids:  # older deliveries and the dashboard's "Test" button send numbers
        ids = {key: int(value) for key, value in ids.items()}
    return {**ids, "created_time": unix}


def body(values: Iterable[dict[str, Any]], page_id: str = PAGE_ID, others: Iterable[dict[str, Any]] = ()) -> bytes:
    """The exact bytes Meta posts: compact JSON, one entry per page, ``leadgen`` changes plus any ``others``."""
    changes = [{"field": "leadgen", "value": value} for value in values] + list(others)
    document = {"object": "page", "entry": [{"id": page_id, "time": int(time.time()), "changes": changes}]}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(raw: bytes, app_secret: str) -> dict[str, str]:
    """``X-Hub-Signature-256`` over the raw bytes, plus the legacy SHA-1 header Meta still sends."""
    sha256 = hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    sha1 = hmac.new(app_secret.encode(), raw, hashlib.sha1).hexdigest()
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Hub-Signature-256": f"sha256={sha256}",
        "X-Hub-Signature": f"sha1={sha1}",
    }


def deliver(
    url: str, raw: bytes, app_secret: str, copies: int = 1, retries: int = 0, session: requests.Session | None = None
) -> list[int]:
    """POST ``raw`` ``copies`` times (Meta delivers at least once), retrying non-2xx answers up to ``retries``."""
    http = session or requests.Session()
    statuses: list[int] = []
    for _ in range(copies):
        for _attempt in range(retries + 1):
            status = http.post(url, data=raw, headers=signed_headers(raw, app_secret), timeout=10).status_code
            statuses.append(status)
            if 200 <= status < 300:
                break
    return statuses


def handshake(
    url: str, verify_token: str, challenge: str | None = None, session: requests.Session | None = None
) -> requests.Response:
    """What Meta sends when an app subscribes a callback URL; the answer must be the bare challenge."""
    challenge = challenge or str(random.randint(10**8, 10**10))
    params = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
    return (session or requests.Session()).get(url, params=params, timeout=10)
