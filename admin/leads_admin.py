"""Leads: the newest first, filtered by source, stage, channel, campaign or a search, paged by cursor."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import select

from admin.auth import ctx, login_required
from core.models import Lead

bp = Blueprint("leads", __name__, url_prefix="/admin/leads")
PAGE = 50
FILTERS = ("source", "stage", "channel", "campaign")


@bp.get("/")
@login_required()
def index() -> Any:
    query = select(Lead).order_by(Lead.id.desc()).limit(PAGE + 1)
    for name in FILTERS:
        if value := request.args.get(name):
            query = query.where(getattr(Lead, name) == value)
    if q := request.args.get("q", "").strip():
        query = query.where(Lead.external_id == q)  # an exact id: platforms' ids are what people paste
    if before := request.args.get("before"):
        query = query.where(Lead.id < before)
    with ctx().db.session() as session:
        rows = session.scalars(query).all()
    return render_template(
        "admin/leads.html",
        rows=rows[:PAGE],
        args=request.args,
        next_before=rows[PAGE - 1].id if len(rows) > PAGE else None,
        stages=["captured", "qualified", "disqualified", "activated", "converted"],
    )
