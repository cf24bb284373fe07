"""Audit log and settings screens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import select

from admin.auth import ctx, login_required
from core.models import AuditEntry, User

bp = Blueprint("auditlog", __name__, url_prefix="/admin/audit")
settings_bp = Blueprint("settings", __name__, url_prefix="/admin/settings")
PAGE = 100


@bp.get("/")
@login_required()
def index() -> Any:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE + 1)
    if before := request.args.get("before"):
        query = query.where(AuditEntry.id < before)
    if actor := request.args.get("actor"):
        query = query.where(AuditEntry.actor == actor)
    with ctx().db.session() as session:
        rows = session.scalars(query).all()
    return render_template(
        "admin/audit.html",
        rows=rows[:PAGE],
        args=request.args,
        next_before=rows[PAGE - 1].id if len(rows) > PAGE else None,
    )


@settings_bp.get("/")
@login_required()
def settings_index() -> Any:
    settings = ctx().settings
    with ctx().db.session() as session:
        users = session.scalars(select(User).order_by(User.email)).all()
    shown = {k: v for k, v in settings.model_dump().items() if k != "secret_key"}
    shown["database_url"] = ctx().db.engine.url.render_as_string(hide_password=True)
    return render_template("admin/settings.html", settings=shown, users=users)
