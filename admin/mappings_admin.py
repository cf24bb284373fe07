"""Mapping editor: edit a connection's mapping with a live preview on its latest records, diff, publish, replay."""

from __future__ import annotations

import difflib
import json
from typing import Any

import yaml
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from pydantic import ValidationError

from admin import audit
from admin.auth import ctx, current_user, login_required
from core.models import Connection
from mappings import preview, replay, versions
from mappings.spec import MappingSpec

bp = Blueprint("mappings", __name__, url_prefix="/admin/connections")


def _published(conn_id: str) -> tuple[Connection, Any]:
    with ctx().db.transaction() as session:
        conn = session.get(Connection, conn_id)
        if conn is None or conn.direction != "source":
            abort(404)
        return conn, versions.published(session, conn)


def _yaml(spec: dict[str, Any]) -> str:
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=110)


def _parse(text: str) -> tuple[MappingSpec | None, str | None]:
    try:
        return MappingSpec.model_validate(yaml.safe_load(text) or {}), None
    except yaml.YAMLError as exc:
        return None, f"The draft is not valid YAML: {exc}"
    except ValidationError as exc:
        return None, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


@bp.route("/<connection_id>/mapping", methods=["GET", "POST"])
@login_required()
def edit(connection_id: str) -> Any:
    """GET shows the published mapping; POST (Preview) maps the latest records with the draft, writing nothing."""
    conn, current = _published(connection_id)
    published_text = _yaml(current.spec)
    draft = request.form.get("draft", published_text) if request.method == "POST" else published_text
    spec, problem = _parse(draft)
    rows = []
    if spec is not None:
        with ctx().db.session() as session:
            rows = preview.preview(session, conn.id, conn.platform, spec, limit=int(request.values.get("limit", 5)))
    diff = "\n".join(
        difflib.unified_diff(
            published_text.splitlines(), draft.splitlines(), f"published v{current.version}", "draft", lineterm=""
        )
    )
    return render_template(
        "admin/mapping.html",
        conn=conn,
        current=current,
        draft=draft,
        problem=problem,
        rows=rows,
        diff=diff,
        dumps=lambda v: json.dumps(v, ensure_ascii=False, indent=2),
    )


@bp.post("/<connection_id>/mapping/publish")
@login_required("editor")
def publish(connection_id: str) -> Any:
    conn, current = _published(connection_id)
    spec, problem = _parse(request.form.get("draft", ""))
    if spec is None:
        flash(f"Not published: {problem}", "error")
        return redirect(url_for("mappings.edit", connection_id=conn.id))
    user = current_user()
    version = replay.publish(ctx(), conn.id, spec, user.email if user else None)
    message = f"Published mapping version {version.version}."
    if request.form.get("replay"):
        result = replay.replay(ctx(), conn.id, version)
        message += (
            f" Replayed: {result.updated} leads updated, {result.created_again} failed records queued again, "
            f"{result.failed} still failing."
        )
    with ctx().db.transaction() as session:
        audit.record(
            session,
            user.email if user else "?",
            "mapping.publish",
            "connection",
            conn.id,
            {"version": current.version},
            {"version": version.version, "replay": bool(request.form.get("replay"))},
        )
    flash(message, "ok")
    return redirect(url_for("mappings.edit", connection_id=conn.id))
