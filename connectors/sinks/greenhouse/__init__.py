"""Greenhouse sink (ATS): qualified leads become prospects, conversions become applications crediting the lead's
source, with the CV attached; Harvest v3 (OAuth client credentials) by default, legacy v1 with ``api_version: v1``.

Greenhouse has no idempotency keys and no dedupe on create, so the sink looks up (recorded id, then email; the
candidate's applications for the job) before it creates, and converts a prospect instead of adding a second person.
Application stages come back by signed web hooks at ``/hooks/greenhouse/<connection>`` or by polling.
``docs/connectors/greenhouse.md`` lists the settings.
"""

from __future__ import annotations

from typing import Any

import requests

from connectors.sinks.base import Item, SendResult
from connectors.sinks.greenhouse import flow
from connectors.sinks.greenhouse.client import Api, Refused, mapping
from connectors.sinks.greenhouse.harvest import Harvest
from connectors.sinks.greenhouse.status import poll_statuses, status_updates, verify_status
from core.errors import AuthExpired, ConfigurationError
from core.schema import ApplicationStage

NAME = "greenhouse"
DESCRIPTION = "Greenhouse ATS: qualified leads as prospects, conversions as applications with the CV; stages back"
DIRECTION = "sink"
ACK_STATUS = 200  # Greenhouse treats any answer but 200 as a failed webhook
# Harvest v3's OAuth client. Legacy v1 connections use the secret api_key instead; status web hooks need
# webhook_secret (both set with `leadhub connections set-secret`).
SECRET_FIELDS = ("client_id", "client_secret")
DEFAULT_ROUTE = {
    "events": ["lead.qualified", "application.created"],
    "require_consent": ["recruiting_contact"],
    "include_test": False,
}
# Harvest allows 50 requests per 10 s per key; one delivery takes 2 to 5 requests (look up, create, attach).
RATE_LIMIT = (1.5, 5.0)

__all__ = ["check", "poll_statuses", "send", "status_updates", "verify_status"]


def send(conn: Any, item: Item, http: requests.Session) -> SendResult:
    return flow.send(Api(conn, http), item)


def check(conn: Any, http: requests.Session) -> None:
    """The credentials work (a token for the user, or the API key), and every mapped source id and stage exists
    (raises ``AuthExpired`` / ``ConfigurationError`` in words)."""
    api = Api(conn, http)
    try:
        sources = Harvest(api).pages(f"/{api.version}/sources", {"per_page": 500})
    except Refused as refused:
        error = refused.result.error or ""
        raise (AuthExpired if refused.result.outcome == "auth" else ConfigurationError)(error) from refused
    except requests.RequestException as exc:
        raise ConfigurationError(f"Greenhouse could not be reached at {api.base}: {type(exc).__name__}") from exc
    known = {int(s["id"]) for s in sources}
    wanted = mapping(conn.settings.get("source_ids"))
    missing = sorted(f"{k}: {v}" for k, v in wanted.items() if v not in (None, "") and int(v) not in known)
    if missing:
        raise ConfigurationError(f"Greenhouse has no source(s) {', '.join(missing)} named in source_ids; pick ids "
                                 "from Configure → Sources (or GET /v1/sources).")
    stages = mapping(conn.settings.get("stage_map"))
    wrong = sorted(f"{k}: {v}" for k, v in stages.items() if str(v) not in ApplicationStage.__members__)
    if wrong:
        raise ConfigurationError(f"stage_map names stages leadhub does not have ({', '.join(wrong)}); use one of "
                                 f"{', '.join(ApplicationStage.__members__)}.")
