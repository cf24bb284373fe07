"""Lever's status webhooks: ``candidateStageChange``, ``candidateHired`` and ``candidateArchiveChange``, each
signed in its body — ``signature`` = hex HMAC-SHA256 of ``token + triggeredAt`` keyed with the webhook's
signature token — read as our application stages through a per-connection map."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from connectors.sinks.base import StatusUpdate
from core.errors import PayloadMalformed, SignatureInvalid
from core.schema import ApplicationStage

EVENTS = ("candidateStageChange", "candidateHired", "candidateArchiveChange")
# Lever's fixed stage ids; every other stage has a uuid, mapped per connection in ``stage_map``
DEFAULT_STAGE_MAP = {
    "lead-new": "received",
    "lead-reached-out": "received",
    "lead-responded": "received",
    "applicant-new": "received",
    "offer": "offer",
}


def parse(body: bytes) -> dict[str, Any]:
    try:
        found = json.loads(body)
    except ValueError as exc:
        raise PayloadMalformed("The Lever webhook is not JSON.") from exc
    if not isinstance(found, dict) or not isinstance(found.get("data"), dict):
        raise PayloadMalformed("The Lever webhook has no data object.")
    return found


def sign(signature_token: str, token: str, triggered_at: int | str) -> str:
    return hmac.new(signature_token.encode(), f"{token}{triggered_at}".encode(), hashlib.sha256).hexdigest()


def verify(body: bytes, secrets: Mapping[str, str], settings: Mapping[str, Any]) -> None:
    """Lever gives every webhook its own signature token: ``webhook_token_<event>`` first, then the shared
    ``webhook_signature_token``. ``webhook_tolerance_s`` (off by default) bounds the age of ``triggeredAt``."""
    event = parse(body)
    name = str(event.get("event") or "")
    key = secrets.get(f"webhook_token_{name}") or secrets.get("webhook_signature_token")
    if not key:
        raise SignatureInvalid(f"No signature token for Lever's {name or 'unnamed'} webhook is stored; copy it from "
                               "Settings → Integrations and API → Webhooks into the secret webhook_signature_token.")
    token, triggered, signature = event.get("token"), event.get("triggeredAt"), event.get("signature")
    if not token or triggered is None or not isinstance(signature, str):
        raise SignatureInvalid("The Lever webhook lacks token, triggeredAt or signature.")
    if not hmac.compare_digest(sign(key, str(token), triggered), signature.lower()):
        raise SignatureInvalid("The Lever webhook's signature does not match its token and triggeredAt.")
    tolerance = float(settings.get("webhook_tolerance_s") or 0)
    if tolerance and abs(time.time() - float(triggered) / 1000) > tolerance:
        raise SignatureInvalid(f"The Lever webhook was triggered more than {tolerance:g} s ago.")


def updates(body: bytes, settings: Mapping[str, Any] | None = None) -> list[StatusUpdate]:
    """The stage each event names for its opportunity; unmapped stages and un-archiving name none."""
    settings = settings or {}
    event = parse(body)
    name, data = event.get("event"), event["data"]
    opportunity = str(data.get("opportunityId") or data.get("candidateId") or "")
    if not opportunity or name not in EVENTS:
        return []
    if name == "candidateHired":
        return [StatusUpdate(opportunity, ApplicationStage.hired, "Lever: hired")]
    if name == "candidateStageChange":
        to = str(data.get("toStageId") or "")
        stage = {**DEFAULT_STAGE_MAP, **dict(settings.get("stage_map") or {})}.get(to)
        return [StatusUpdate(opportunity, ApplicationStage(stage), f"Lever: stage {to}")] if stage else []
    archived = data.get("toArchived") or {}
    if not archived:  # un-archived: our funnel does not move backwards
        return []
    reason = str(archived.get("reason") or "")
    # unmapped reasons are ignored unless archive_default says otherwise: Lever's "Hired" is an archive reason
    # too, and reading it as "rejected" would end the application before candidateHired arrives
    stage = dict(settings.get("archive_reason_map") or {}).get(reason) or settings.get("archive_default")
    return [StatusUpdate(opportunity, ApplicationStage(stage), f"Lever: archived ({reason})")] if stage else []
