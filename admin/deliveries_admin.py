"""Deliveries: filter by sink, status and time; the attempts with the vendor's answers; retry one, replay many."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from admin import audit
from admin.auth import ctx, current_user, login_required
from core.models import Delivery, DeliveryAttempt
from sync import redeliver

bp = Blueprint("deliveries", __name__, url_prefix="/admin/deliveries")
PAGE = 50


def _since() -> datetime | None:
    value = request.values.get("since")
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None
    except ValueError:
        return None


@bp.get("/")
@login_required()
def index() -> Any:
    sink, status, before = request.args.get("sink"), request.args.get("status"), request.args.get("before")
    query = select(Delivery).order_by(Delivery.id.desc()).limit(PAGE + 1)
    if sink:
        query = query.where(Delivery.sink == sink)
    if status:
        query = query.where(Delivery.status == status)
    if since := _since():
        query = query.where(Delivery.created_at >= since)
    if before:
        query = query.where(Delivery.id < before)
    with ctx().db.session() as session:
        rows = session.scalars(query).all()
        sinks = [s for s in session.scalars(select(Delivery.sink).distinct())]
    return render_template(
        "admin/deliveries.html",
        rows=rows[:PAGE],
        sinks=sinks,
        args=request.args,
        next_before=rows[PAGE - 1].id if len(rows) > PAGE else None,
    )


@bp.get("/<delivery_id>")
@login_required()
def show(delivery_id: str) -> Any:
    with ctx().db.session() as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None:
            abort(404)
        attempts = session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery_id).order_by(DeliveryAttempt.number)
        ).all()
    return render_template(
        "admin/delivery.html", d=delivery, attempts=attempts, body=delivery.body.decode("utf-8", "replace")
    )


def _actor() -> str:
    user = current_user()
    return user.email if user else "?"


@bp.post("/<delivery_id>/retry")
@login_required("editor")
def retry(delivery_id: str) -> Any:
    with ctx().db.session() as session:
        delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        abort(404)
    replayed = redeliver.replay(ctx(), [delivery_id], status=delivery.status)
    with ctx().db.transaction() as session:
        audit.record(session, _actor(), "delivery.retry", "delivery", delivery_id)
    flash(
        "Queued again." if replayed else "Only dead or pending deliveries can be sent again.",
        "ok" if replayed else "error",
    )
    return redirect(url_for("deliveries.show", delivery_id=delivery_id))


@bp.post("/replay")
@login_required("editor")
def replay_many() -> Any:
    sink = request.form.get("sink") or None
    replayed = redeliver.replay(ctx(), sink=sink, status="dead", since=_since())
    with ctx().db.transaction() as session:
        audit.record(
            session,
            _actor(),
            "delivery.replay",
            "delivery",
            None,
            None,
            {"sink": sink, "since": request.form.get("since"), "count": len(replayed)},
        )
    flash(f"{len(replayed)} dead deliveries queued again.", "ok")
    return redirect(url_for("deliveries.index", status="dead", sink=sink or ""))
