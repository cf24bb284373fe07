"""CSRF protection for every state-changing admin request: a per-session token in every form."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import Flask, abort, request, session

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE = {"GET", "HEAD", "OPTIONS"}


def token() -> str:
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    return str(session[FIELD])


def protect(app: Flask) -> None:
    """Refuse (400) any non-GET request under /admin/ without the session's token."""

    @app.before_request
    def check() -> Any:
        if request.method in SAFE or not request.path.startswith("/admin/"):
            return None
        sent = request.form.get(FIELD) or request.headers.get(HEADER) or ""
        expected = session.get(FIELD)
        if not expected or not hmac.compare_digest(str(expected), sent):
            abort(400, description="The form expired or did not come from this site. Reload the page and try again.")
        return None

    app.jinja_env.globals["csrf_token"] = token
