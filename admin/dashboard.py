"""The funnel dashboard: per channel, campaign, form and time range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, render_template, request

from admin import funnel
from admin.auth import ctx, login_required

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
        choices = funnel.choices(session)
    steps = funnel.LEAD_STEPS + funnel.APPLICATION_STEPS
    return render_template(
        "admin/dashboard.html", total=total, per_channel=per_channel, steps=steps, choices=choices, args=request.args
    )
