"""Connections screen: list with health, add (secrets write-only), edit settings, test and sync now."""

from __future__ import annotations

import json
from typing import Any

import yaml
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from admin import audit
from admin.auth import ctx, current_user, login_required
from connectors.registry import CONNECTORS
from core.errors import LeadhubError
from core.models import Connection, RawRecord
from mappings import consents
from sync import connections

bp = Blueprint("connections", __name__, url_prefix="/admin/connections")


def _get(connection_id: str) -> Connection:
    with ctx().db.session() as session:
        conn = session.get(Connection, connection_id)
    if conn is None:
        abort(404)
    return conn


def _actor() -> str:
    user = current_user()
    return user.email if user else "?"


@bp.get("/")
@login_required()
def index() -> Any:
    rows = connections.list_all(ctx())
    available = sorted(
        (i for i in CONNECTORS.values() if i.status == "available" and i.name != "webhook"),
        key=lambda i: (i.direction, i.name),
    )
    return render_template("admin/connections.html", rows=rows, available=available)


@bp.route("/new", methods=["GET", "POST"])
@login_required("editor")
def new() -> Any:
    platform = request.values.get("platform", "")
    info = CONNECTORS.get(platform)
    if info is None or info.status != "available":
        flash("Choose a platform from the list.", "error")
        return redirect(url_for("connections.index"))
    module = info.load()
    secret_fields = list(getattr(module, "SECRET_FIELDS", ()))
    if request.method == "GET":
        return render_template(
            "admin/connection_form.html",
            platform=platform,
            module=module,
            secret_fields=secret_fields,
            settings_text="",
            name="",
        )
    name = request.form.get("name", "").strip()
    settings_text = request.form.get("settings", "")
    try:
        settings = yaml.safe_load(settings_text) or {}
        if not isinstance(settings, dict):
            raise ValueError("settings must be a mapping of key: value lines")
        secrets = {f: request.form.get(f"secret_{f}", "") for f in secret_fields}
        conn = connections.create(ctx(), name, platform, settings, secrets)
    except (LeadhubError, ValueError, yaml.YAMLError) as exc:
        flash(f"Not created: {exc}", "error")
        return render_template(
            "admin/connection_form.html",
            platform=platform,
            module=module,
            secret_fields=secret_fields,
            settings_text=settings_text,
            name=name,
        ), 400
    with ctx().db.transaction() as session:
        audit.record(
            session,
            _actor(),
            "connection.create",
            "connection",
            conn.id,
            None,
            {"name": name, "platform": platform, "settings": settings, "secrets": dict.fromkeys(secrets)},
        )
    flash(f"Connection {name} created.", "ok")
    return redirect(url_for("connections.show", connection_id=conn.id))


@bp.get("/<connection_id>")
@login_required()
def show(connection_id: str) -> Any:
    return _page(_get(connection_id))


def _page(conn: Connection, status: int = 200, consent_text: str | None = None, consent_error: str = "") -> Any:
    """The connection page; after a refused consent map, with the admin's text and what is wrong with it."""
    with ctx().db.session() as session:
        recent = session.scalars(
            select(RawRecord).where(RawRecord.connection_id == conn.id).order_by(RawRecord.received_at.desc()).limit(10)
        ).all()
    info = CONNECTORS[conn.platform]
    module = info.load()
    shown = {k: v for k, v in conn.settings.items() if k != consents.SETTING}
    defaults = consents.defaults(conn.platform) if conn.direction == "source" else {}
    if consent_text is None:
        own = conn.settings.get(consents.SETTING)
        consent_text = consents.to_text(own if isinstance(own, dict) else defaults)
    return render_template(
        "admin/connection.html",
        conn=conn,
        recent=recent,
        module=module,
        can_pull=getattr(module, "MANIFEST", None) is not None
        or any(callable(getattr(module, f, None)) for f in ("poll_progress", "poll_statuses")),
        hook_url=url_for("hooks.receive", source=conn.platform, connection=conn.name, _external=True)
        if conn.direction == "source"
        else None,
        settings_text=yaml.safe_dump(shown, allow_unicode=True) if shown else "",
        secret_fields=list(getattr(module, "SECRET_FIELDS", ())),
        consent_text=consent_text,
        consent_own=consents.is_own(conn.settings),
        consent_defaults=consents.to_text(defaults),
        consent_error=consent_error,
    ), status


@bp.post("/<connection_id>/settings")
@login_required("editor")
def update_settings(connection_id: str) -> Any:
    conn = _get(connection_id)
    try:
        settings = yaml.safe_load(request.form.get("settings", "")) or {}
        if not isinstance(settings, dict):
            raise ValueError("settings must be a mapping")
        if consents.SETTING not in settings and consents.SETTING in conn.settings:
            settings[consents.SETTING] = conn.settings[consents.SETTING]  # edited in its own card, kept here
        settings = consents.checked_settings(settings)
    except (ValueError, yaml.YAMLError) as exc:
        flash(f"Settings not saved: {exc}", "error")
        return redirect(url_for("connections.show", connection_id=conn.id))
    _store_settings(conn.id, settings, "connection.settings")
    flash("Settings saved.", "ok")
    return redirect(url_for("connections.show", connection_id=conn.id))


@bp.post("/<connection_id>/consents")
@login_required("editor")
def update_consents(connection_id: str) -> Any:
    """Save the connection's own consent-purpose map, or go back to the platform's defaults."""
    conn = _get(connection_id)
    settings = dict(conn.settings)
    if request.form.get("action") == "defaults":
        settings.pop(consents.SETTING, None)
        message = "Consent purposes: the platform's defaults apply again."
    else:
        text = request.form.get("consent_purposes", "")
        try:
            settings[consents.SETTING] = consents.parse(text)
        except ValueError as exc:
            return _page(conn, 400, consent_text=text, consent_error=str(exc))
        message = "Consent purposes saved: they apply to leads captured from now on and to a mapping replay."
    _store_settings(conn.id, settings, "connection.consent_purposes")
    flash(message, "ok")
    return redirect(url_for("connections.show", connection_id=conn.id))


def _store_settings(connection_id: str, settings: dict[str, Any], action: str) -> None:
    with ctx().db.transaction() as session:
        row = session.get(Connection, connection_id)
        assert row is not None
        before = dict(row.settings)
        row.settings = settings
        audit.record(session, _actor(), action, "connection", row.id, {"settings": before}, {"settings": settings})


@bp.post("/<connection_id>/secrets")
@login_required("editor")
def update_secrets(connection_id: str) -> Any:
    conn = _get(connection_id)
    secrets = {k.removeprefix("secret_"): v for k, v in request.form.items() if k.startswith("secret_") and v}
    if not secrets:
        flash("Enter at least one new secret; empty fields keep the stored value.", "error")
        return redirect(url_for("connections.show", connection_id=conn.id))
    connections.update_secrets(ctx(), conn.name, secrets)
    with ctx().db.transaction() as session:
        audit.record(
            session, _actor(), "connection.secrets", "connection", conn.id, None, {"secrets": dict.fromkeys(secrets)}
        )
    flash(f"Stored new {', '.join(secrets)}; the connection is marked ok and waiting work resumes.", "ok")
    return redirect(url_for("connections.show", connection_id=conn.id))


@bp.post("/<connection_id>/sync")
@login_required("editor")
def sync_now(connection_id: str) -> Any:
    conn = _get(connection_id)
    from flask import current_app

    current_app.extensions["leadhub.dispatcher"].pull(conn.name)
    with ctx().db.transaction() as session:
        audit.record(session, _actor(), "connection.sync", "connection", conn.id)
    flash(f"Sync of {conn.name} queued; a worker runs it now. Refresh to see new records.", "ok")
    return redirect(url_for("connections.show", connection_id=conn.id))


@bp.post("/<connection_id>/test")
@login_required("editor")
def test(connection_id: str) -> Any:
    conn = _get(connection_id)
    from flask import current_app

    current_app.extensions["leadhub.dispatcher"].check(conn.name)
    flash(f"Test of {conn.name} queued; its status below updates when a worker has run it.", "ok")
    return redirect(url_for("connections.show", connection_id=conn.id))


def raw_preview(raw: RawRecord) -> str:
    try:
        return json.dumps(json.loads(raw.body), ensure_ascii=False)[:300]
    except ValueError:
        return raw.body[:300].decode("utf-8", "replace")
