"""Admin security: login required everywhere, CSRF on every change, viewers read only, names rendered as text."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from connectors.sources.form_webhook import samples
from core.context import Context
from core.models import AuditEntry, Lead, Person
from sync import connections, pipeline
from tests.admin_helpers import PASSWORD, csrf_of, login, make_user
from tests.helpers import SIGNING_SECRET, encode
from webhooks import inbox

XSS = '<script>alert("x")</script>'
# POSTs that change nothing: logging out, and the mapping preview (maps stored records, writes nothing)
READ_ONLY_POSTS = {"/admin/logout", "/admin/connections/x1/mapping"}


def admin_rules(app: Flask) -> list[tuple[str, set[str]]]:
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin/") and rule.endpoint not in ("auth.login", "static"):
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<{arg}>", "x1").replace(f"<path:{arg}>", "x1")
            rules.append((path, set(rule.methods or ()) - {"HEAD", "OPTIONS"}))
    return rules


@pytest.fixture
def hub(app: Flask) -> Context:
    ctx: Context = app.extensions["leadhub"]
    make_user(ctx, "admin@example.org", "admin")
    make_user(ctx, "viewer@example.org", "viewer")
    return ctx


def test_every_admin_page_without_a_session_redirects_to_login(app: Flask, client: Any, hub: Context) -> None:
    for path, methods in admin_rules(app):
        if "GET" in methods:
            response = client.get(path)
            assert response.status_code == 302 and "/admin/login" in response.headers["Location"], path


def test_every_state_changing_request_without_a_csrf_token_is_refused(app: Flask, client: Any, hub: Context) -> None:
    login(client, "admin@example.org")
    posts = [path for path, methods in admin_rules(app) if "POST" in methods]
    assert len(posts) >= 10
    for path in posts:
        response = client.post(path, data={"name": "x"})
        assert response.status_code == 400, path
        assert "did not come from this site" in response.get_data(as_text=True)


def test_a_viewer_cannot_change_anything(app: Flask, client: Any, hub: Context) -> None:
    login(client, "viewer@example.org")
    token = csrf_of(client)
    for path, methods in admin_rules(app):
        if "POST" in methods and path not in READ_ONLY_POSTS:
            response = client.post(path, data={"csrf_token": token, "name": "x", "url": "https://x.example"})
            assert response.status_code == 403, path
    with hub.db.session() as session:
        changes = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action != "login"))
    assert changes == 0


def test_wrong_passwords_are_throttled_after_five_failures(client: Any, hub: Context) -> None:
    client.get("/admin/login")
    token = csrf_of(client)
    for _ in range(5):
        assert (
            client.post(
                "/admin/login", data={"email": "admin@example.org", "password": "nope", "csrf_token": token}
            ).status_code
            == 401
        )
    blocked = client.post(
        "/admin/login", data={"email": "admin@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.get_data(as_text=True)


def test_session_cookie_is_http_only_and_same_site(client: Any, hub: Context) -> None:
    client.get("/admin/login")
    cookie = client.get_cookie("leadhub_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_lead_names_with_script_tags_and_quotes_render_as_text(app: Flask, client: Any, hub: Context) -> None:
    conn = connections.create(hub, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
    submission = samples.submission(1)
    submission["fields"]["first_name"] = XSS
    submission["fields"]["last_name"] = 'O\'Brien "Bobby"'
    lead_id = pipeline.process(hub, inbox.store(hub, conn.id, "form_webhook", encode(submission))).lead_id
    with hub.db.session() as session:
        person_id = session.get(Lead, lead_id).person_id
        assert session.get(Person, person_id).first_name == XSS
    login(client, "admin@example.org")
    pages = [
        "/admin/persons/",
        f"/admin/persons/{person_id}",
        f"/admin/connections/{conn.id}",
        f"/admin/connections/{conn.id}/mapping",
        "/admin/deliveries/",
        "/admin/",
    ]
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        assert "<script>alert" not in html, page
    assert "&lt;script&gt;alert" in client.get(f"/admin/persons/{person_id}").get_data(as_text=True)
