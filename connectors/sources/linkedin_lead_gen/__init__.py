"""linkedin_lead_gen: LinkedIn Lead Gen Forms, pulled from the Lead Sync API and pushed by lead notifications."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

from connectors.sources.base import ConnectionLike, HandshakeReply, Notice
from connectors.sources.linkedin_lead_gen import client, config, notification, signature
from mappings.spec import MappingSpec

NAME = "linkedin_lead_gen"
DESCRIPTION = "LinkedIn Lead Gen Forms: pulled from the Lead Sync API, pushed by signed lead notifications."
DIRECTION = "source"
SECRET_FIELDS = ("access_token", "client_secret")
# LinkedIn consents carry no purpose, only their place on the form: the defaults assume the first checkbox asks to
# be contacted and the second for the talent pool, as on the sandbox forms. Check this against your forms and set
# consent_purposes on the connection where it differs (docs/connectors/linkedin_lead_gen.md, "Consents").
CONSENT_PURPOSES = {"linkedin_consent_0": "recruiting_contact", "linkedin_consent_1": "talent_pool"}
MANIFEST = Path(__file__).parent / "manifest.yaml"
RECORD_STREAM = "lead_form_responses"


def default_mapping() -> MappingSpec:
    return MappingSpec.from_yaml((Path(__file__).parent / "mapping.yaml").read_text(encoding="utf-8"))


def source_config(conn: ConnectionLike) -> dict[str, Any]:
    return config.source_config(conn)


def record_id(record: dict[str, Any]) -> str:
    """The lead form response URN: the key of pulls, pushes and LinkedIn's conversion API alike."""
    return notification.response_urn(str(record.get("urn") or record["id"]))


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Mapping[str, str],
    tolerance_s: int,
    settings: Mapping[str, Any] | None = None,
) -> None:
    """``X-LI-Signature`` over ``signature_prefix + body``; LinkedIn signs no timestamp, so there is no window."""
    prefix = config.signature_prefix(settings)
    signature.verify(headers.get(signature.HEADER), body, secrets.get("client_secret", ""), prefix)


def notices(body: bytes) -> list[Notice]:
    return notification.notices(body)


def handshake(args: Mapping[str, str], conn: ConnectionLike) -> HandshakeReply:
    """LinkedIn's endpoint validation (at registration and every two hours): answer within 3 seconds."""
    code = args.get("challengeCode")
    if not code:
        problem = {"error": "challengeCode query parameter is missing"}
        return HandshakeReply(400, json.dumps(problem), "application/json")
    secret = conn.secrets.get("client_secret", "")
    answer = {"challengeCode": code, "challengeResponse": signature.challenge_response(code, secret)}
    return HandshakeReply(200, json.dumps(answer), "application/json")


def fetch(conn: ConnectionLike, notice: Notice, http: requests.Session) -> list[dict[str, Any]]:
    return client.fetch(conn, notice, http)
