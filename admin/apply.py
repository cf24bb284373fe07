"""The signed, expiring "complete your application" page: the lead's data pre-filled, only the CV asked for."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.context import Context
from core.errors import NotFound
from core.models import Lead, Person
from sync import conversion, stages

bp = Blueprint("apply", __name__, template_folder="templates")
LINK_MAX_AGE_S = 14 * 24 * 3600


def _serializer(ctx: Context) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(ctx.settings.secret_key, salt="leadhub-apply-link")


def make_token(ctx: Context, lead_id: str, job_ref: str, job_title: str | None = None) -> str:
    return str(_serializer(ctx).dumps({"lead": lead_id, "job": job_ref, "title": job_title}))


def _load(ctx: Context, token: str) -> dict[str, Any]:
    return dict(_serializer(ctx).loads(token, max_age=LINK_MAX_AGE_S))


@bp.route("/apply/<token>", methods=["GET", "POST"])
def complete(token: str) -> Any:
    ctx: Context = current_app.extensions["leadhub"]
    try:
        claim = _load(ctx, token)
    except SignatureExpired:
        return render_template(
            "apply_problem.html", message="This link has expired. Ask the recruiter who sent it for a new one."
        ), 410
    except BadSignature:
        return render_template(
            "apply_problem.html", message="This link is not valid. Please use the link exactly as you received it."
        ), 404
    with ctx.db.transaction() as session:
        lead = session.get(Lead, claim["lead"])
        if lead is None or lead.data.get("deleted"):
            return render_template("apply_problem.html", message="We could not find your details any more."), 404
        person = session.get(Person, lead.person_id)
        deliveries = stages.activate(session, lead, "opened the application link") if request.method == "GET" else []
    for delivery_id in deliveries:
        ctx.dispatch.deliver(delivery_id)
    if request.method == "GET":
        return render_template("apply.html", person=person, job=claim.get("title") or claim["job"], error=None)
    upload = request.files.get("cv")
    if upload is None or not upload.filename:
        return render_template(
            "apply.html",
            person=person,
            job=claim.get("title") or claim["job"],
            error="Please attach your CV (PDF or Word).",
        ), 400
    cv = conversion.Cv(
        upload.filename, upload.mimetype or "application/octet-stream", upload.read(conversion.MAX_CV_BYTES + 1)
    )
    try:
        conversion.convert(ctx, lead.id, claim["job"], claim.get("title"), cv, via="application link")
    except ValueError as exc:
        return render_template("apply.html", person=person, job=claim.get("title") or claim["job"], error=str(exc)), 400
    except NotFound:
        return render_template("apply_problem.html", message="We could not find your details any more."), 404
    return render_template("apply_done.html", person=person, job=claim.get("title") or claim["job"])
