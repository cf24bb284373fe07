"""The funnel dashboard: per channel, campaign, form and time range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import select

from admin import funnel
from admin.auth import ctx, login_required
from core.models import Lead

bp = Blueprint("dashboard", __name__, url_prefix="/admin")


def _date(name: str) -> datetime | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return None


@bp.get("/")
@login_required()
def index() -> Any:
    end = _date("end")
    filters = funnel.Filters(
        channel=request.args.get("channel") or None,
        campaign=request.args.get("campaign") or None,
        form=request.args.get("form") or None,
        start=_date("start"),
        end=end + timedelta(days=1) if end else None,
    )
    with ctx().db.session() as session:
        total, per_channel = funnel.compute(session, filters)
        choices = {
            "channel": [c for c in session.scalars(select(Lead.channel).distinct().order_by(Lead.channel)) if c],
            "campaign": [
                c for c in session.scalars(select(Lead.campaign).distinct().order_by(Lead.campaign).limit(200)) if c
            ],
            "form": [
                c for c in session.scalars(select(Lead.form_id).distinct().order_by(Lead.form_id).limit(200)) if c
            ],
        }
    steps = funnel.LEAD_STEPS + funnel.APPLICATION_STEPS
    return render_template(
        "admin/dashboard.html", total=total, per_channel=per_channel, steps=steps, choices=choices, args=request.args
    )
