"""Webhook endpoints: add, choose event types, rotate the secret, send a test event, recent deliveries, re-enable."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from admin import audit
from admin.auth import ctx, current_user, login_required
from core.errors import LeadhubError
from core.models import Delivery, WebhookEndpoint
from sync import delivery as delivery_engine
from webhooks import endpoints, events

bp = Blueprint("endpoints", __name__, url_prefix="/admin/webhooks")


def _actor() -> str:
    user = current_user()
    return user.email if user else "?"


@bp.get("/")
@login_required()
def index() -> Any:
    return render_template(
        "admin/endpoints.html",
        rows=endpoints.list_all(ctx()),
        catalogue={k: v for k, v in events.EVENT_TYPES.items() if k != "endpoint.test"},
    )


@bp.post("/")
@login_required("editor")
def create() -> Any:
    chosen = request.form.getlist("events") or ["*"]
    try:
        endpoint, secret = endpoints.create(
            ctx(), request.form.get("name", "").strip(), request.form.get("url", "").strip(), chosen
        )
    except LeadhubError as exc:
        flash(f"Not added: {exc}", "error")
        return redirect(url_for("endpoints.index"))
    with ctx().db.transaction() as session:
        audit.record(
            session,
            _actor(),
            "endpoint.create",
            "endpoint",
            endpoint.id,
            None,
            {"name": endpoint.name, "url": endpoint.url, "events": chosen},
        )
    flash(f"Endpoint added. Its signing secret, shown once — give it to the vendor now: {secret}", "ok")
    return redirect(url_for("endpoints.show", endpoint_id=endpoint.id))


@bp.get("/<endpoint_id>")
@login_required()
def show(endpoint_id: str) -> Any:
    with ctx().db.session() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            abort(404)
        recent = session.scalars(
            select(Delivery).where(Delivery.endpoint_id == endpoint_id).order_by(Delivery.id.desc()).limit(20)
        ).all()
    return render_template("admin/endpoint.html", e=endpoint, recent=recent)


@bp.post("/<endpoint_id>/rotate")
@login_required("editor")
def rotate(endpoint_id: str) -> Any:
    secret = endpoints.rotate(ctx(), endpoint_id)
    with ctx().db.transaction() as session:
        audit.record(session, _actor(), "endpoint.rotate", "endpoint", endpoint_id)
    flash(f"New signing secret, shown once: {secret}. The old one keeps signing beside it for 24 hours.", "ok")
    return redirect(url_for("endpoints.show", endpoint_id=endpoint_id))


@bp.post("/<endpoint_id>/test")
@login_required("editor")
def send_test(endpoint_id: str) -> Any:
    delivery_id = endpoints.send_test(ctx(), endpoint_id)
    status = delivery_engine.attempt(ctx(), delivery_id)
    with ctx().db.session() as session:
        row = session.get(Delivery, delivery_id)
    if status == "delivered":
        flash("Test event delivered: the endpoint answered 2xx.", "ok")
    else:
        flash(
            f"Test event not delivered yet: {row.last_error if row else status}. It is retried on the schedule.",
            "error",
        )
    return redirect(url_for("endpoints.show", endpoint_id=endpoint_id))


@bp.post("/<endpoint_id>/enabled")
@login_required("editor")
def toggle(endpoint_id: str) -> Any:
    enable = request.form.get("enabled") == "1"
    endpoints.set_enabled(ctx(), endpoint_id, enable)
    with ctx().db.transaction() as session:
        audit.record(session, _actor(), "endpoint.enable" if enable else "endpoint.disable", "endpoint", endpoint_id)
    flash(
        "Endpoint enabled; replay its dead deliveries from the Deliveries page." if enable else "Endpoint disabled.",
        "ok",
    )
    return redirect(url_for("endpoints.show", endpoint_id=endpoint_id))
