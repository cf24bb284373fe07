"""Helpers for admin tests: users, a logged-in client, the CSRF token of the current session."""

from __future__ import annotations

import re
from typing import Any

from admin import users
from core.context import Context

PASSWORD = "correct horse battery staple"


def make_user(ctx: Context, email: str, role: str) -> None:
    users.create(ctx, email, PASSWORD, role)


def login(client: Any, email: str) -> str:
    """Log in through the form like a browser; returns the session's CSRF token."""
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "login form has no CSRF token"
    response = client.post("/admin/login", data={"email": email, "password": PASSWORD, "csrf_token": token[1]})
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_of(client)


def csrf_of(client: Any) -> str:
    with client.session_transaction() as session:
        return str(session["csrf_token"])
