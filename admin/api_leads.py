"""/api/v1/leads: list with filters and cursor paging, get, create (the generic intake), convert, link, activate."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from flask import jsonify, request, url_for

from admin.api import audit_change, body, ctx, newest_first, operation, problem, time_arg
from admin.api_models import (
    ApplicationCreated,
    ApplicationLink,
    ConvertRequest,
    LeadCreated,
    LeadIn,
    LeadOut,
    LeadPage,
    LeadStageOut,
    Problem,
)
from admin.apply import make_token
from admin.openapi import Operation, Param
from core.errors import ConfigurationError, NotFound
from core.models import Lead
from sync import connections, conversion, pipeline, stages
from webhooks import inbox

ID = {"type": "string", "minLength": 1, "maxLength": 40}
LIMIT = Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50})
CURSOR = Param("cursor", "query", {"type": "string", "maxLength": 40}, "next_cursor of the previous page")


def lead_out(lead: Lead) -> dict[str, Any]:
    return LeadOut(
        id=lead.id,
        person_id=lead.person_id,
        source=lead.source,
        external_id=lead.external_id,
        stage=lead.stage,
        stage_changed_at=lead.stage_changed_at,
        captured_at=lead.captured_at,
        channel=lead.channel,
        campaign=lead.campaign,
        is_test=lead.is_test,
        data=lead.data,
    ).model_dump(mode="json")


@operation(
    Operation(
        "/leads",
        "get",
        "List leads, newest first, with filters and cursor paging",
        {200: LeadPage, 400: Problem},
        params=[
            LIMIT,
            CURSOR,
            Param("source", "query", {"type": "string"}),
            Param("stage", "query", {"type": "string"}),
            Param("channel", "query", {"type": "string"}),
            Param("campaign", "query", {"type": "string"}),
            Param("person_id", "query", {"type": "string"}),
            Param("captured_after", "query", {"type": "string", "format": "date-time"}),
            Param("captured_before", "query", {"type": "string", "format": "date-time"}),
        ],
    )
)
def list_leads() -> Any:
    where = []
    if after := time_arg("captured_after"):
        where.append(Lead.captured_at >= after)
    if before := time_arg("captured_before"):
        where.append(Lead.captured_at < before)
    equal = ("source", "stage", "channel", "campaign", "person_id")
    return newest_first(Lead, equal, lambda _session, lead: lead_out(lead), tuple(where))


@operation(
    Operation(
        "/leads/{lead_id}", "get", "One lead", {200: LeadOut, 404: Problem}, params=[Param("lead_id", "path", ID)]
    )
)
def get_lead(lead_id: str) -> Any:
    with ctx().db.session() as session:
        lead = session.get(Lead, lead_id)
    if lead is None:
        return problem(404, "Not found", f"No lead {lead_id}.")
    return jsonify(lead_out(lead))


@operation(
    Operation(
        "/leads",
        "post",
        "Push a lead (canonical shape); the same external_id twice is one lead",
        {201: LeadCreated, 200: LeadCreated, 400: Problem, 422: Problem},
        body=LeadIn,
        write=True,
        params=[
            Param(
                "connection",
                "query",
                {"type": "string", "default": "api"},
                "An `api` source connection; `api` is created on first use",
            )
        ],
    )
)
def create_lead() -> Any:
    lead: LeadIn = body(LeadIn)
    name = request.args.get("connection", "api")
    try:
        conn = connections.find(ctx(), name)
    except NotFound:
        if name != "api":
            raise ValueError(f"No connection {name!r}; create an `api` source connection first.") from None
        with contextlib.suppress(ConfigurationError):  # created by a concurrent request
            connections.create(ctx(), "api", "api")
        conn = connections.find(ctx(), "api")
    if conn.platform != "api":
        raise ValueError(f"Connection {name!r} is a {conn.platform} connection, not an api source.")
    raw = json.dumps(lead.model_dump(mode="json", exclude_none=True), ensure_ascii=False).encode()
    raw_id = inbox.store(ctx(), conn.id, "api", raw, lead.external_id, "application/json")
    outcome = pipeline.process(ctx(), raw_id)
    if outcome.status == "failed" or outcome.lead_id is None:
        return problem(422, "Lead not mappable", outcome.error or "the lead could not be stored")
    with ctx().db.session() as session:
        row = session.get(Lead, outcome.lead_id)
        assert row is not None
    created = LeadCreated(
        lead_id=row.id, person_id=row.person_id, stage=row.stage, duplicate=outcome.status == "duplicate"
    )
    return jsonify(created.model_dump()), 200 if created.duplicate else 201


@operation(
    Operation(
        "/leads/{lead_id}/convert",
        "post",
        "Convert a lead into an application (optional CV)",
        {201: ApplicationCreated, 400: Problem, 404: Problem},
        body=ConvertRequest,
        write=True,
        params=[Param("lead_id", "path", ID)],
        multipart={
            "type": "object",
            "required": ["job_external_id"],
            "properties": {
                "job_external_id": {"type": "string", "minLength": 1},
                "job_title": {"type": "string"},
                "cv": {"type": "string", "format": "binary"},
            },
        },
    )
)
def convert(lead_id: str) -> Any:
    if request.mimetype == "multipart/form-data":
        job_ref, title = request.form.get("job_external_id", "").strip(), request.form.get("job_title")
        if not job_ref:
            raise ValueError("job_external_id is required")
    else:
        job = body(ConvertRequest).job
        job_ref, title = job.external_id, job.title
    upload = request.files.get("cv")
    cv = None
    if upload is not None and upload.filename:
        cv = conversion.Cv(upload.filename, upload.mimetype, upload.read(conversion.MAX_CV_BYTES + 1))
    try:
        application_id = conversion.convert(ctx(), lead_id, job_ref, title, cv, via="api")
    except NotFound as exc:
        return problem(404, "Not found", str(exc))
    audit_change("lead.convert", "lead", lead_id, {"application_id": application_id, "job": job_ref})
    return jsonify({"application_id": application_id}), 201


@operation(
    Operation(
        "/leads/{lead_id}/application-link",
        "post",
        "A signed link (14 days) to a page with the lead's data that asks only for the CV",
        {201: ApplicationLink, 400: Problem, 404: Problem},
        body=ConvertRequest,
        write=True,
        params=[Param("lead_id", "path", ID)],
    )
)
def application_link(lead_id: str) -> Any:
    job = body(ConvertRequest).job
    with ctx().db.session() as session:
        if session.get(Lead, lead_id) is None:
            return problem(404, "Not found", f"No lead {lead_id}.")
    token = make_token(ctx(), lead_id, job.external_id, job.title)
    return jsonify({"url": url_for("apply.complete", token=token, _external=True)}), 201


@operation(
    Operation(
        "/leads/{lead_id}/activate",
        "post",
        "Report that the lead engaged (replied, booked a call …)",
        {200: LeadStageOut, 404: Problem},
        write=True,
        params=[Param("lead_id", "path", ID)],
    )
)
def activate(lead_id: str) -> Any:
    with ctx().db.transaction() as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            return problem(404, "Not found", f"No lead {lead_id}.")
        deliveries = stages.activate(session, lead, "reported through the API")
        stage = lead.stage
    for delivery_id in deliveries:
        ctx().dispatch.deliver(delivery_id)
    return jsonify({"id": lead_id, "stage": stage})
