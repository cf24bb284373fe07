"""REST API v1 (first endpoints): lead read, convert, application link, activation. API-key auth, problem+json."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request, url_for
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from admin import apikeys
from admin.apply import make_token
from core.context import Context
from core.errors import NotFound
from core.models import Lead
from sync import conversion, stages

bp = Blueprint("api", __name__, url_prefix="/api/v1")
WRITE_ROLES = {"admin", "editor"}


def problem(status: int, title: str, detail: str) -> Any:
    response = jsonify({"type": "about:blank", "title": title, "status": status, "detail": detail})
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _ctx() -> Context:
    ctx: Context = current_app.extensions["leadhub"]
    return ctx


def require_key(write: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            key = (
                apikeys.verify(_ctx(), header.removeprefix("Bearer ").strip()) if header.startswith("Bearer ") else None
            )
            if key is None:
                return problem(
                    401,
                    "Unauthorized",
                    "Send a valid API key as `Authorization: Bearer lh_…`; create one with `leadhub apikey create`.",
                )
            if write and key.role not in WRITE_ROLES:
                return problem(403, "Forbidden", f"This API key has the role {key.role}, which cannot change data.")
            g.api_key = key
            return view(*args, **kwargs)

        return wrapper

    return decorate


class JobRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    external_id: str = Field(min_length=1, description="The job's id in the ATS (or your own job code).")
    title: str | None = None


class ConvertRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job: JobRef


def _job_from_request() -> JobRef:
    if request.mimetype == "multipart/form-data":
        return JobRef(external_id=request.form.get("job_external_id", ""), title=request.form.get("job_title"))
    return ConvertRequest.model_validate(request.get_json(silent=True) or {}).job


@bp.get("/leads/<lead_id>")
@require_key()
def get_lead(lead_id: str) -> Any:
    with _ctx().db.session() as session:
        lead = session.get(Lead, lead_id)
    if lead is None:
        return problem(404, "Not found", f"No lead {lead_id}.")
    return jsonify(
        {
            **lead.data,
            "id": lead.id,
            "person_id": lead.person_id,
            "stage": lead.stage,
            "stage_changed_at": lead.stage_changed_at.isoformat(),
        }
    )


@bp.post("/leads/<lead_id>/convert")
@require_key(write=True)
def convert(lead_id: str) -> Any:
    """JSON ``{"job": {"external_id", "title"}}``, or multipart with ``job_external_id``, ``job_title``, ``cv``."""
    try:
        job = _job_from_request()
    except ValidationError as exc:
        return problem(
            400, "Invalid request", "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        )
    upload = request.files.get("cv")
    cv = None
    if upload is not None and upload.filename:
        cv = conversion.Cv(upload.filename, upload.mimetype, upload.read(conversion.MAX_CV_BYTES + 1))
    try:
        application_id = conversion.convert(_ctx(), lead_id, job.external_id, job.title, cv, via="api")
    except NotFound as exc:
        return problem(404, "Not found", str(exc))
    except ValueError as exc:
        return problem(400, "Invalid CV", str(exc))
    return jsonify({"application_id": application_id}), 201


@bp.post("/leads/<lead_id>/application-link")
@require_key(write=True)
def application_link(lead_id: str) -> Any:
    """A signed link (14 days) to a page that shows the lead's data and asks only for the CV."""
    try:
        job = ConvertRequest.model_validate(request.get_json(silent=True) or {}).job
    except ValidationError as exc:
        return problem(400, "Invalid request", str(exc.errors()[0]["msg"]))
    with _ctx().db.session() as session:
        if session.get(Lead, lead_id) is None:
            return problem(404, "Not found", f"No lead {lead_id}.")
    token = make_token(_ctx(), lead_id, job.external_id, job.title)
    return jsonify({"url": url_for("apply.complete", token=token, _external=True)}), 201


@bp.post("/leads/<lead_id>/activate")
@require_key(write=True)
def activate(lead_id: str) -> Any:
    """A system reports that the lead engaged (replied, booked a call …)."""
    ctx = _ctx()
    with ctx.db.transaction() as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            return problem(404, "Not found", f"No lead {lead_id}.")
        deliveries = stages.activate(session, lead, f"reported through the API by {g.api_key.name}")
        stage = lead.stage
    for delivery_id in deliveries:
        ctx.dispatch.deliver(delivery_id)
    return jsonify({"id": lead_id, "stage": stage})
