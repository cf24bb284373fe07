"""Personio sink: conversions become applications through the Recruiting API — the CV uploaded first, then the
application naming its uuid, with ``X-Company-ID``, the recruiting channel of our source and campaign tags.
Personio takes applications, not leads. An answer ``errors.applicant-already-exists`` means the application is
there (a retry after a timeout, or an earlier application) and counts as delivered. With v2 read credentials the
application's id is recorded and ``leadhub sync`` polls stage changes. ``docs/connectors/personio.md`` lists the
connection settings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import requests

from connectors.sinks.base import Item, SendResult, StatusUpdate
from connectors.sinks.personio import status, submit
from connectors.sinks.personio.client import Api, Refused
from connectors.sinks.personio.payload import Unmapped
from core.errors import AuthExpired, ConfigurationError, SourceError

NAME = "personio"
DESCRIPTION = "Personio Recruiting: applications with their CV and recruiting channel; stages polled (API v2)"
DIRECTION = "sink"
SECRET_FIELDS = ("access_token",)
DEFAULT_ROUTE = {"events": ["application.created"], "require_consent": ["recruiting_contact"], "include_test": False}
# Personio allows 20 calls to the documents and applications endpoints per 60 s and company, then a 60 s pause;
# one send is a document upload and the application: 10 sends a minute.
RATE_LIMIT = (1 / 6, 10.0)


def send(conn: Any, item: Item, http: requests.Session) -> SendResult:
    api = Api(conn, http)
    if not api.company:
        return SendResult("permanent", None, None, "not sent", "Personio needs the company id in every call: set "
                          "the connection setting company_id (Settings → Integrations → API credentials).")
    try:
        return submit.deliver(api, item)
    except Unmapped as exc:
        return SendResult("permanent", None, None, api.summary(), str(exc))
    except Refused as refused:
        return refused.result


def poll_statuses(conn: Any, http: requests.Session, since: datetime | None) -> list[StatusUpdate]:
    """Stages of applications changed since ``since`` (v2 ``GET /v2/recruiting/applications``)."""
    api = Api(conn, http)
    if not api.can_read:
        raise ConfigurationError("Polling Personio needs v2 API credentials with the scope "
                                 "personio:recruiting:read: store client_id and client_secret with "
                                 f"`leadhub connections set-secret {conn.name}`.")
    try:
        return status.changed(api, since)
    except Refused as refused:
        error = refused.result.error or "Personio refused the poll."
        raise (AuthExpired if refused.result.outcome == "auth" else SourceError)(error) from refused


def check(conn: Any, http: requests.Session) -> None:
    """The v2 read credentials work, when stored (the v1 token can only be tested by sending an application)."""
    api = Api(conn, http)
    if not api.company:
        raise ConfigurationError("Set the connection setting company_id.")
    if api.can_read:
        try:
            api.read("/v2/recruiting/applications", {"limit": 1})
        except Refused as refused:
            raise (AuthExpired if refused.result.outcome == "auth" else ConfigurationError)(
                refused.result.error or "") from refused
