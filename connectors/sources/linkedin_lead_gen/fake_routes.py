"""Routes of the LinkedIn fake: the ``owner`` finders, a single lead, and OAuth refresh at ``/oauth/v2/accessToken``."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import Flask, Response, request

from connectors.sources.linkedin_lead_gen import fake_seed, restli
from connectors.sources.linkedin_lead_gen.fake import bad_request, json_response, parse_query

if TYPE_CHECKING:
    from connectors.sources.linkedin_lead_gen.fake import FakeLinkedIn

DEFAULT_COUNT = 10
MAX_COUNT = 1000
OAUTH_EXPIRES_S = 5_184_000  # 60 days, LinkedIn's access-token lifetime
REFRESH_EXPIRES_S = 31_536_000  # 365 days


def register(app: Flask, fake: FakeLinkedIn) -> None:
    @app.get("/rest/leadForms")
    def lead_forms() -> Response:
        query, problem = _finder(fake)
        if problem is not None:
            return problem
        newest: dict[int, dict[str, Any]] = {}
        for form in fake.forms:
            if form["id"] not in newest or form["versionId"] > newest[form["id"]]["versionId"]:
                newest[form["id"]] = form
        return _page(list(newest.values()), query)

    @app.get("/rest/leadFormResponses")
    def lead_form_responses() -> Response:
        query, problem = _finder(fake)
        if problem is not None:
            return problem
        lead_type = query.get("leadType")
        if not isinstance(lead_type, dict) or "leadType" not in lead_type:
            return bad_request("leadType is required, as (leadType:SPONSORED)")
        rows = [lead for lead in fake.leads if lead["leadType"] == lead_type["leadType"]]
        if str(query.get("limitedToTestLeads", "false")).lower() == "true":
            rows = [lead for lead in rows if lead["testLead"]]
        window = query.get("submittedAtTimeRange")
        if window is not None:
            if not isinstance(window, dict) or not set(window) <= {"start", "end"}:
                return bad_request("submittedAtTimeRange must be (start:<epoch ms>,end:<epoch ms>)")
            try:
                start, end = int(window.get("start", 0)), int(window.get("end", 2**62))
            except ValueError:
                return bad_request("submittedAtTimeRange start/end must be epoch milliseconds")
            rows = [lead for lead in rows if start <= lead["submittedAt"] < end]
        form_urn = query.get("versionedLeadGenFormUrn")
        if form_urn is not None:
            rows = [lead for lead in rows if lead["versionedLeadGenFormUrn"] == form_urn]
        rows.sort(key=lambda lead: lead["submittedAt"], reverse=True)  # newest first
        return _page([_shape(fake, lead, query) for lead in rows], query)

    @app.get("/rest/leadFormResponses/<lead_id>")
    def lead_form_response(lead_id: str) -> Response:
        try:
            query = parse_query()
        except restli.RestliSyntaxError as exc:
            return bad_request(str(exc))
        lead = next((lead for lead in fake.leads if lead["id"] == lead_id), None)
        if lead is None:
            return json_response(
                {"status": 404, "code": "NOT_FOUND", "message": f"Lead form response {lead_id} does not exist"}, 404
            )
        return json_response(_shape(fake, lead, query))

    @app.post("/oauth/v2/accessToken")
    def access_token() -> Response:
        form = request.form
        if form.get("grant_type") != "refresh_token":
            return json_response({"error": "unsupported_grant_type", "error_description": "Use refresh_token"}, 400)
        if form.get("client_id") != fake.client_id or form.get("client_secret") != fake.client_secret:
            return json_response({"error": "invalid_client", "error_description": "Client authentication failed"}, 401)
        if form.get("refresh_token") != fake.refresh_token:
            description = "The provided refresh token is invalid, expired or revoked"
            return json_response({"error": "invalid_grant", "error_description": description}, 400)
        return json_response(
            {
                "access_token": fake.issue_token(),
                "expires_in": OAUTH_EXPIRES_S,
                "refresh_token": fake.refresh_token,  # LinkedIn keeps the refresh token; its TTL keeps running
                "refresh_token_expires_in": REFRESH_EXPIRES_S,
                "scope": "r_marketing_leadgen_automation,r_ads,r_organization_admin",
            }
        )


def _finder(fake: FakeLinkedIn) -> tuple[dict[str, Any], Response | None]:
    """Checks shared by the ``q=owner`` finders: Rest.li syntax, the finder name, and the owner's account."""
    try:
        query = parse_query()
    except restli.RestliSyntaxError as exc:
        return {}, bad_request(str(exc))
    if query.get("q") != "owner":
        return query, bad_request("Finder q=owner is required")
    owner = query.get("owner")
    if not isinstance(owner, dict) or ("sponsoredAccount" not in owner and "organization" not in owner):
        return query, bad_request(f"owner must be a tuple like (sponsoredAccount:urn%3Ali%3A…), got {owner!r}")
    if owner.get("sponsoredAccount") != fake_seed.ACCOUNT_URN:
        denied = {"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED"}
        return query, json_response({**denied, "message": f"Not enough permissions to access: owner {owner!r}"}, 403)
    for name in ("start", "count"):
        if name in query and not str(query[name]).isdigit():
            return query, bad_request(f"{name} must be a non-negative integer")
    if int(query.get("count", DEFAULT_COUNT)) > MAX_COUNT:
        return query, bad_request(f"count must be at most {MAX_COUNT}")
    return query, None


def _shape(fake: FakeLinkedIn, lead: dict[str, Any], query: dict[str, Any]) -> dict[str, Any]:
    """A lead as returned: decorated with its versioned form and campaign name only when the projection asks."""
    raw_fields = restli.query_params(request.query_string.decode()).get("fields")
    if raw_fields is None:
        return copy.deepcopy(lead)  # no projection: the default fields, no decorations
    fields = restli.projection(raw_fields)
    document = copy.deepcopy(lead)
    if "form" in fields:
        form_id, version = lead["versionedLeadGenFormUrn"].rsplit("leadGenForm:", 1)[1].rstrip(")").split(",")
        document["form"] = copy.deepcopy(fake.form(int(form_id), int(version)))
    if "leadMetadataInfo" in fields:
        name = fake_seed.CAMPAIGNS[lead["leadMetadata"]["sponsoredLeadMetadata"]["campaign"]]
        document["leadMetadataInfo"] = {"sponsoredLeadMetadataInfo": {"campaign": {"name": name}}}
    return restli.project(document, fields)


def _page(rows: list[dict[str, Any]], query: dict[str, Any]) -> Response:
    start, count = int(query.get("start", 0)), int(query.get("count", DEFAULT_COUNT))
    raw = restli.query_params(request.query_string.decode())
    links = []
    for rel, at in (("prev", start - count), ("next", start + count)):
        if 0 <= at < len(rows) and (rel == "next" or start > 0):
            params = {**raw, "start": str(at), "count": str(count)}
            href = request.path + "?" + "&".join(f"{quote(k)}={v}" for k, v in params.items())
            links.append({"type": "application/json", "rel": rel, "href": href})
    paging = {"start": start, "count": count, "links": links, "total": len(rows)}
    return json_response({"paging": paging, "elements": rows[start : start + count]})
