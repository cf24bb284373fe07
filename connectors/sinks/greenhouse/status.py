"""Where applications stand in Greenhouse, back to leadhub: signed web hooks (``Signature: sha256 <hex>``, an HMAC
of the raw body with the web hook's secret key) and, for accounts without web hooks, polling applications.

Greenhouse stages are per job and named by each customer; the default names map below, ``settings.stage_map``
(stage name or stage id → our stage) maps the rest.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from connectors.sinks.base import StatusUpdate
from connectors.sinks.greenhouse.client import Api, Refused, mapping
from connectors.sinks.greenhouse.harvest import Harvest
from core.errors import AuthExpired, ConfigurationError, PayloadMalformed, RateLimited, SignatureInvalid, SourceError
from core.schema import ApplicationStage as Stage

SIGNATURE_HEADER = "Signature"
POLL_LOOKBACK = timedelta(days=30)  # the first poll of a connection looks this far back
DEFAULT_STAGES = {  # the stages of Greenhouse's default interview plan; every application starts in the first
    "application review": Stage.received,
    "preliminary phone screen": Stage.in_review,
    "phone interview": Stage.interview,
    "face to face": Stage.interview,
    "reference check": Stage.interview,
    "offer": Stage.offer,
}
KEYWORDS = (  # for the names customers give their own stages, in this order
    ("offer", Stage.offer),
    ("interview", Stage.interview),
    ("face to face", Stage.interview),
    ("onsite", Stage.interview),
    ("on-site", Stage.interview),
    ("assessment", Stage.interview),
    ("take home", Stage.interview),
    ("reference", Stage.interview),
    ("screen", Stage.in_review),
    ("review", Stage.in_review),
)
OFFER_ACTIONS = {"offer_created", "offer_approved"}
IGNORED_ACTIONS = {"ping", "new_prospect_application", "delete_application", "delete_candidate", "merge_candidate",
                   "update_candidate", "candidate_anonymized", "offer_deleted", "offer_updated"}


def sign(body: bytes, secret: str) -> str:
    return "sha256 " + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_status(headers: Mapping[str, str], body: bytes, conn: Any) -> None:
    """Raises ``SignatureInvalid`` (401) or ``PayloadMalformed`` (400); ``ConfigurationError`` without a secret."""
    secret = conn.secrets.get("webhook_secret")
    if not secret:
        raise ConfigurationError(f"Connection {conn.name} has no webhook_secret; store the web hook's secret key with "
                                 f"`leadhub connections set-secret {conn.name} webhook_secret=…`.")
    given = headers.get(SIGNATURE_HEADER) or ""
    algorithm, _, digest = given.strip().partition(" ")
    if algorithm.lower() != "sha256" or not digest:
        raise SignatureInvalid("Missing or malformed Signature header (expected 'sha256 <hex>').")
    if not hmac.compare_digest(sign(body, secret).partition(" ")[2], digest.strip().lower()):
        raise SignatureInvalid("The Signature does not match the body; check the web hook's secret key.")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise PayloadMalformed("The web hook body is not JSON.") from exc
    if not isinstance(document, dict) or not document.get("action"):
        raise PayloadMalformed("The web hook names no action.")


def status_updates(body: bytes, conn: Any = None) -> list[StatusUpdate]:
    """The application moves a web hook reports; pings, prospects and other events give none."""
    document = json.loads(body)
    action = str(document.get("action") or "")
    found = document.get("payload") or {}
    overrides = stage_overrides(conn.settings if conn is not None else {})
    if action in OFFER_ACTIONS and found.get("application_id"):
        return [StatusUpdate(str(found["application_id"]), Stage.offer, f"Greenhouse {action}")]
    application = found.get("application")
    if action in IGNORED_ACTIONS or not isinstance(application, dict):
        return []
    update = application_update(application, overrides, action)
    return [update] if update else []


def application_update(application: dict[str, Any], overrides: dict[str, Stage], action: str = "poll"
                       ) -> StatusUpdate | None:
    """A Greenhouse application (web hook or Harvest shape) as one of our stages; prospects are not applications."""
    if application.get("prospect") or not application.get("id"):
        return None
    current = application.get("current_stage") or {}
    name = str(current.get("name") or "")
    status = application.get("status")
    if action == "hire_candidate" or status == "hired":
        stage: Stage | None = Stage.hired
    elif action == "reject_candidate" or status == "rejected":
        stage = Stage.rejected
    else:
        stage = stage_for(name, current.get("id"), overrides)
        if stage is None and action == "new_candidate_application":
            stage = Stage.received
    if stage is None:
        return None
    reason = f"Greenhouse {action}" + (f": {name}" if name else "")
    rejection = application.get("rejection_reason")
    if stage == Stage.rejected and isinstance(rejection, dict) and rejection.get("name"):
        reason += f" ({rejection['name']})"
    return StatusUpdate(str(application["id"]), stage, reason)


def stage_for(name: str, stage_id: Any, overrides: dict[str, Stage]) -> Stage | None:
    key = name.strip().lower()
    for candidate in (str(stage_id) if stage_id is not None else None, key):
        if candidate and candidate in overrides:
            return overrides[candidate]
    if key in DEFAULT_STAGES:
        return DEFAULT_STAGES[key]
    return next((stage for word, stage in KEYWORDS if word in key), None)


def stage_overrides(settings: dict[str, Any]) -> dict[str, Stage]:
    """``stage_map: {"Hiring Manager Review": in_review, "4711": interview}``; unknown stages of ours are skipped
    (``check`` names them)."""
    found = {}
    for key, value in mapping(settings.get("stage_map")).items():
        if str(value) in Stage.__members__:
            found[key.strip().lower()] = Stage(str(value))
    return found


def poll_statuses(conn: Any, http: requests.Session, since: datetime | None) -> list[StatusUpdate]:
    """Applications changed since the last poll (Harvest v3 ``updated_after``, v1 ``last_activity_after``)."""
    api = Api(conn, http)
    start = (since or datetime.now(UTC) - POLL_LOOKBACK).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    key = "updated_after" if api.version == "v3" else "last_activity_after"
    try:
        found = Harvest(api).pages(f"/{api.version}/applications", {key: start, "per_page": 500})
    except Refused as refused:
        result = refused.result
        if result.outcome == "auth":
            raise AuthExpired(result.error or "") from refused
        if result.status_code == 429:
            raise RateLimited(result.error or "", float(result.retry_after or 60)) from refused
        raise SourceError(result.error or "") from refused
    except requests.RequestException as exc:
        raise SourceError(f"Greenhouse could not be polled: {type(exc).__name__}") from exc
    overrides = stage_overrides(conn.settings)
    return [u for u in (application_update(a, overrides) for a in found) if u is not None]
