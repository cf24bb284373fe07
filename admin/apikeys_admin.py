"""API keys screen (admins only): list keys, create one and show it once, revoke after a confirmation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for

from admin import apikeys
from admin.auth import ctx, current_user, login_required
from core.errors import LeadhubError, NotFound

bp = Blueprint("apikeys", __name__, url_prefix="/admin/apikeys")


def _actor() -> str:
    """Who the audit log names for a change made on this screen."""
    user = current_user()
    return user.email if user else "?"


@bp.get("/")
@login_required("admin")
def index() -> Any:
    """The keys with what identifies them (never the key itself) and the form to create one."""
    return render_template("admin/apikeys.html", rows=apikeys.list_all(ctx()), roles=apikeys.ROLES)


@bp.post("/")
@login_required("admin")
def create() -> Any:
    """Answer with the new key in the page itself (never in a flash cookie), uncached: it is shown this once."""
    try:
        key, plain = apikeys.create(
            ctx(), request.form.get("name", ""), request.form.get("role", "editor"), created_by=_actor()
        )
    except LeadhubError as exc:
        flash(f"Not created: {exc}", "error")
        return redirect(url_for("apikeys.index"))
    response = make_response(
        render_template(
            "admin/apikeys.html", rows=apikeys.list_all(ctx()), roles=apikeys.ROLES, created=key, plain=plain
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<key_id>/revoke")
@login_required("admin")
def confirm_revoke(key_id: str) -> Any:
    """A page that says what revoking breaks, so a click in the list alone never revokes a key."""
    try:
        key = apikeys.get(ctx(), key_id)
    except NotFound:
        abort(404)
    return render_template("admin/apikey_revoke.html", key=key)


@bp.post("/<key_id>/revoke")
@login_required("admin")
def revoke(key_id: str) -> Any:
    """Revoke by id (from the confirmation page); the REST API refuses the key from the next request on."""
    try:
        key = apikeys.revoke(ctx(), key_id, revoked_by=_actor())
    except NotFound:
        abort(404)
    except LeadhubError as exc:
        flash(str(exc), "error")
        return redirect(url_for("apikeys.index"))
    flash(f"API key {key.name} ({key.prefix}…) revoked: the REST API refuses it from now on.", "ok")
    return redirect(url_for("apikeys.index"))
