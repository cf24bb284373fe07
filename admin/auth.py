"""Admin login: scrypt passwords, roles, secure session cookies, throttled failures (counted in the audit log)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import func, select

from admin import audit, csrf, users
from core.context import Context
from core.models import AuditEntry, User, utcnow

bp = Blueprint("auth", __name__, url_prefix="/admin")
ROLE_RANK = {"viewer": 0, "editor": 1, "admin": 2}
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


def ctx() -> Context:
    context: Context = current_app.extensions["leadhub"]
    return context


def current_user() -> User | None:
    if "user" not in g:
        user_id = session.get("user_id")
        with ctx().db.session() as db:
            g.user = db.get(User, user_id) if user_id else None
    user: User | None = g.user
    return user


def login_required(role: str = "viewer") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Unauthenticated → the login page; authenticated with too small a role → 403."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if ROLE_RANK[user.role] < ROLE_RANK[role]:
                return render_template("admin/forbidden.html", needed=role), 403
            return view(*args, **kwargs)

        return wrapper

    return decorate


def _throttled(email: str) -> bool:
    since = utcnow() - FAILURE_WINDOW
    with ctx().db.session() as db:
        failures = db.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "login.failed", AuditEntry.actor == email, AuditEntry.at >= since)
        )
    return (failures or 0) >= MAX_FAILURES


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("admin/login.html")
    email = request.form.get("email", "").strip().lower()
    password = request.form.get("password", "")
    if _throttled(email):
        flash(
            "Too many failed attempts for this address. Wait 15 minutes, or ask an admin to reset the password.",
            "error",
        )
        return render_template("admin/login.html"), 429
    with ctx().db.transaction() as db:
        user = db.scalar(select(User).where(User.email == email))
        if user is None or not users.verify_password(user, password):
            audit.record(db, email or "(empty)", "login.failed", "user", user.id if user else None)
            ok = False
        else:
            user.last_login_at = utcnow()
            audit.record(db, email, "login", "user", user.id)
            ok = True
    if not ok:
        flash("Email or password is wrong.", "error")
        return render_template("admin/login.html"), 401
    assert user is not None
    session.clear()  # a fresh session (and CSRF token) at login: no fixation
    session["user_id"] = user.id
    csrf.token()
    session.permanent = True
    target = request.args.get("next") or url_for("dashboard.index")
    return redirect(target if target.startswith("/admin") else url_for("dashboard.index"))


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("auth.login"))
