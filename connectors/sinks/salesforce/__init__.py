"""Salesforce sink: qualified leads become Leads, upserted by an External ID field that holds our person id
(``PATCH /services/data/vXX.X/sobjects/Lead/<field>/<person id>``), with LeadSource from our channel.

The upsert by external id is the idempotency Salesforce offers: a retried or timed-out send updates the Lead it
created. ``docs/connectors/salesforce.md`` lists the connection settings and how to get an access token.
"""

from __future__ import annotations

from typing import Any

import requests

from connectors.sinks.base import Item, SendResult
from connectors.sinks.salesforce import errors, payload
from connectors.sinks.salesforce.client import Api, mapping
from core.errors import AuthExpired, ConfigurationError

NAME = "salesforce"
DESCRIPTION = "Salesforce: qualified leads upserted as Leads by an External ID field, LeadSource mapped per channel"
DIRECTION = "sink"
SECRET_FIELDS = ("access_token",)
DEFAULT_ROUTE = {"events": ["lead.qualified"], "require_consent": ["recruiting_contact"], "include_test": False}
# Salesforce counts API calls per org and 24 h rather than per second; this keeps bursts polite.
RATE_LIMIT = (10.0, 25.0)


def send(conn: Any, item: Item, http: requests.Session) -> SendResult:
    if not item.person_id:
        return SendResult("permanent", None, None, "not sent", "The event names no person, so there is no "
                                                               "external id to upsert the Lead by.")
    api = Api(conn, http)
    known = item.remote_ids.get("person")
    result = _upsert(api, item, fill_required=known is None)
    if result.outcome == "permanent" and known and "REQUIRED_FIELD_MISSING" in (result.error or ""):
        result = _upsert(api, item, fill_required=True)  # the Lead we knew is gone: create it anew
    return result


def _upsert(api: Api, item: Item, fill_required: bool) -> SendResult:
    path = api.lead_path(api.external_id, str(item.person_id))
    summary = f"PATCH {path}"
    try:
        response = api.call("PATCH", path, payload.fields(item, api.settings, fill_required))
    except requests.RequestException as exc:
        return errors.timeout(exc, summary, api.timeout)
    usage = response.headers.get("Sforce-Limit-Info")
    summary += f" ({usage})" if usage else ""
    if response.status_code in (200, 201):
        return _delivered(response.status_code, summary, str(response.json().get("id")))
    if response.status_code == 204:  # updated, before API v46.0: no body, so the id is read back when unknown
        return _delivered(204, summary, item.remote_ids.get("person") or _read_id(api, path))
    if response.status_code == 300:
        urls = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else []
        text = (f"{len(urls)} Leads have {api.external_id} = {item.person_id} ({', '.join(map(str, urls))}). Mark "
                f"the field Unique in Salesforce and merge those Leads, then replay this delivery.")
        return SendResult("permanent", 300, response.text[:500], summary, f"{text} [{summary}]")
    return errors.failure(response, summary, api)


def _delivered(status: int, summary: str, lead_id: str | None) -> SendResult:
    return SendResult("delivered", status, None, summary, remote_id=lead_id, remote_kind="Lead")


def _read_id(api: Api, path: str) -> str | None:
    try:
        response = api.call("GET", path + "?fields=Id")
    except requests.RequestException:
        return None
    return str(response.json().get("Id")) if response.status_code == 200 else None


def check(conn: Any, http: requests.Session) -> None:
    """The token works, the external id field exists as an External ID, every mapped field exists, and a restricted
    LeadSource picklist holds every mapped value (raises ``AuthExpired`` / ``ConfigurationError`` in words)."""
    api = Api(conn, http)
    try:
        response = api.call("GET", api.lead_path("describe"))
    except requests.RequestException as exc:
        raise ConfigurationError(f"Salesforce could not be reached at {api.base}: {type(exc).__name__}") from exc
    if response.status_code != 200:
        result = errors.failure(response, "GET " + api.lead_path("describe"), api)
        raise (AuthExpired if result.outcome == "auth" else ConfigurationError)(result.error or "")
    described = {f["name"]: f for f in response.json().get("fields", [])}
    external = described.get(api.external_id)
    if external is None or not external.get("externalIdField"):
        raise ConfigurationError(
            f"The Lead object has no External ID field {api.external_id}. Create it (Text(80), External ID, Unique) "
            "or set the connection setting external_id_field to one that exists."
        )
    mapped = [*mapping(conn.settings.get("fields")), conn.settings.get("answers_field", "Description")]
    unknown = [name for name in mapped if name and name not in described]
    if unknown:
        raise ConfigurationError(f"The Lead object has no field(s) {', '.join(unknown)} named in the connection "
                                 "settings fields / answers_field.")
    source = described.get("LeadSource") or {}
    if source.get("restrictedPicklist"):
        allowed = {p["value"] for p in source.get("picklistValues", []) if p.get("active")}
        wanted = {*mapping(conn.settings.get("lead_source_map")).values(),
                  conn.settings.get("lead_source_default", "Other"), *payload.DEFAULT_LEAD_SOURCES.values()}
        missing = sorted(str(v) for v in wanted - allowed if v)
        if missing:
            raise ConfigurationError(f"LeadSource is a restricted picklist without the value(s) {', '.join(missing)}; "
                                     "add them in Salesforce or change lead_source_map / lead_source_default.")
