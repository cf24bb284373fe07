"""The funnel dashboard: per channel, campaign, form and time range."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, render_template, request

from admin import funnel
from admin.auth import ctx, login_required

bp = Blueprint("dashboard", __name__, url_prefix="/admin")


def _month(name: str, after: bool = False) -> datetime | None:
    """``YYYY-MM`` → the first instant of that month (or of the next one, for an inclusive end)."""
    value = request.args.get(name, "")
    try:
        year, month = (int(part) for part in value.split("-")[:2])
        if after:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return datetime(year, month, 1, tzinfo=UTC)
    except ValueError:
        return None


@bp.get("/")
@login_required()
def index() -> Any:
    filters = funnel.Filters(
        channel=request.args.get("channel") or None,
        campaign=request.args.get("campaign") or None,
        form=request.args.get("form") or None,
        start=_month("start"),
        end=_month("end", after=True),
    )
    with ctx().db.session() as session:
        total, per_channel = funnel.compute(session, filters)
        choices = funnel.choices(session)
    steps = funnel.LEAD_STEPS + funnel.APPLICATION_STEPS
    return render_template(
        "admin/dashboard.html", total=total, per_channel=per_channel, steps=steps, choices=choices, args=request.args
    )
