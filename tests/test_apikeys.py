"""API keys: the admin screen (admins only, CSRF, shown once, revoke after a confirmation), the CLI, and the
REST API refusing a revoked key with problem+json 401."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from admin import apikeys
from core.context import Context
from core.models import ApiKey, AuditEntry
from core.settings import Settings
from sync.cli import main
from tests.admin_helpers import csrf_of, login, make_user

KEY_IN_PAGE = re.compile(r'id="new-key" value="(lh_[A-Za-z0-9_-]+)"')


@pytest.fixture
def hub(app: Flask) -> Context:
    """The app's context with one user per role."""
    ctx: Context = app.extensions["leadhub"]
    for role in ("admin", "editor", "viewer"):
        make_user(ctx, f"{role}@example.org", role)
    return ctx


def audit_rows(ctx: Context, action: str) -> list[AuditEntry]:
    """The audit entries of one action, to check who is named and that no key is written."""
    with ctx.db.session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())


def api_get(client: Any, key: str) -> Any:
    """A read on the REST API with the key, to see whether the API accepts it."""
    return client.get("/api/v1/leads", headers={"Authorization": f"Bearer {key}"})


def test_an_admin_creates_a_key_that_is_shown_once_and_works_on_the_api(client: Any, hub: Context) -> None:
    token = login(client, "admin@example.org")
    screen = client.get("/admin/apikeys/")
    assert screen.status_code == 200 and "No API keys yet" in screen.get_data(as_text=True)
    assert 'href="/admin/apikeys/"' in client.get("/admin/").get_data(as_text=True)  # in the navigation

    created = client.post("/admin/apikeys/", data={"csrf_token": token, "name": "my-crm", "role": "viewer"})
    page = created.get_data(as_text=True)
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    match = KEY_IN_PAGE.search(page)
    assert match, page
    plain = match[1]
    assert "shown only this once" in page and 'id="copy-key"' in page
    assert api_get(client, plain).status_code == 200

    listing = client.get("/admin/apikeys/").get_data(as_text=True)
    assert plain not in listing  # never again
    [key] = apikeys.list_all(hub)
    assert (key.name, key.role, key.created_by, key.active) == ("my-crm", "viewer", "admin@example.org", True)
    assert plain.startswith(key.prefix) and f"{key.prefix}…" in listing and "admin@example.org" in listing
    with hub.db.session() as session:
        row = session.get(ApiKey, key.id)
        assert row is not None and plain not in row.key_hash
    [entry] = audit_rows(hub, "apikey.create")
    assert (entry.actor, entry.target_id) == ("admin@example.org", key.id)
    assert entry.after == {"name": "my-crm", "role": "viewer", "prefix": key.prefix}
    assert plain not in json.dumps([entry.before, entry.after])


def test_an_admin_revokes_a_key_after_a_confirmation_and_the_api_refuses_it(client: Any, hub: Context) -> None:
    key, plain = apikeys.create(hub, "old-ats", "editor", created_by="admin@example.org")
    assert api_get(client, plain).status_code == 200
    token = login(client, "admin@example.org")
    listing = client.get("/admin/apikeys/").get_data(as_text=True)
    assert f'href="/admin/apikeys/{key.id}/revoke"' in listing

    confirm = client.get(f"/admin/apikeys/{key.id}/revoke").get_data(as_text=True)
    assert "Revoke API key old-ats?" in confirm and "cannot be undone" in confirm and 'id="confirm-revoke"' in confirm
    assert apikeys.get(hub, key.id).active  # looking at the confirmation changes nothing

    done = client.post(f"/admin/apikeys/{key.id}/revoke", data={"csrf_token": token}, follow_redirects=True)
    assert "revoked: the REST API refuses it from now on" in done.get_data(as_text=True)
    assert not apikeys.get(hub, key.id).active
    [entry] = audit_rows(hub, "apikey.revoke")
    assert (entry.actor, entry.target_id) == ("admin@example.org", key.id)
    assert entry.before is not None and entry.before["revoked_at"] is None
    assert entry.after is not None and entry.after["revoked_at"]

    again = client.post(f"/admin/apikeys/{key.id}/revoke", data={"csrf_token": token}, follow_redirects=True)
    assert "was revoked already" in again.get_data(as_text=True)
    assert "cannot be undone" not in client.get(f"/admin/apikeys/{key.id}/revoke").get_data(as_text=True)
    assert client.post("/admin/apikeys/key_nope/revoke", data={"csrf_token": token}).status_code == 404
    assert client.get("/admin/apikeys/key_nope/revoke").status_code == 404


def test_a_revoked_key_is_refused_by_the_rest_api_with_problem_json_401(client: Any, hub: Context) -> None:
    key, plain = apikeys.create(hub, "crm", "admin")
    apikeys.revoke(hub, key.id, revoked_by="admin@example.org")
    for response in (api_get(client, plain), client.post("/api/v1/leads", json={}, headers=auth_header(plain))):
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["status"] == 401 and problem["title"] == "Unauthorized"
        assert "leadhub apikey create" in problem["detail"]


def auth_header(plain: str) -> dict[str, str]:
    """The header a system sends its key in."""
    return {"Authorization": f"Bearer {plain}"}


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_editors_and_viewers_may_not_see_create_or_revoke_keys(client: Any, hub: Context, role: str) -> None:
    key, _plain = apikeys.create(hub, "crm", "editor")
    login(client, f"{role}@example.org")
    token = csrf_of(client)
    assert 'href="/admin/apikeys/"' not in client.get("/admin/").get_data(as_text=True)
    assert client.get("/admin/apikeys/").status_code == 403
    assert client.get(f"/admin/apikeys/{key.id}/revoke").status_code == 403
    assert client.post("/admin/apikeys/", data={"csrf_token": token, "name": "mine"}).status_code == 403
    assert client.post(f"/admin/apikeys/{key.id}/revoke", data={"csrf_token": token}).status_code == 403
    assert [(k.name, k.active) for k in apikeys.list_all(hub)] == [("crm", True)]


def test_create_and_revoke_without_the_csrf_token_are_refused(client: Any, hub: Context) -> None:
    key, _plain = apikeys.create(hub, "crm", "editor")
    login(client, "admin@example.org")
    refused = client.post("/admin/apikeys/", data={"name": "sneaky", "role": "admin"})
    assert refused.status_code == 400 and "did not come from this site" in refused.get_data(as_text=True)
    assert client.post(f"/admin/apikeys/{key.id}/revoke", data={"csrf_token": "forged"}).status_code == 400
    assert [(k.name, k.active) for k in apikeys.list_all(hub)] == [("crm", True)]


def test_a_key_without_a_name_or_with_an_unknown_role_is_not_created(client: Any, hub: Context) -> None:
    token = login(client, "admin@example.org")
    for form in ({"name": "  ", "role": "editor"}, {"name": "crm", "role": "owner"}):
        page = client.post("/admin/apikeys/", data={"csrf_token": token, **form}, follow_redirects=True)
        text = page.get_data(as_text=True)
        assert "Not created:" in text and KEY_IN_PAGE.search(text) is None
    assert apikeys.list_all(hub) == []
    assert audit_rows(hub, "apikey.create") == []


# -- the CLI ---------------------------------------------------------------------------------------------------


@pytest.fixture
def run(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The CLI against this test's database, the way tests/test_cli.py runs it."""
    for key, value in settings.as_env().items():
        monkeypatch.setenv(key, value)

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(main, list(args))

    return invoke


@pytest.mark.parametrize("command", [["apikey"], ["apikey", "create"], ["apikey", "list"], ["apikey", "revoke"]])
def test_every_apikey_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and "API key" in result.output


def test_cli_creates_lists_and_revokes_keys_by_name_and_id(run: Any, settings: Settings, app: Flask) -> None:
    created = run("apikey", "create", "my-crm", "--role", "viewer")
    assert created.exit_code == 0, created.output
    plain = re.search(r"shown once: (lh_\S+)", created.output)
    assert plain, created.output
    client = app.test_client()
    assert api_get(client, plain[1]).status_code == 200

    listed = run("apikey", "list")
    assert listed.exit_code == 0, listed.output
    [line] = listed.output.splitlines()
    assert "my-crm" in line and "viewer" in line and "cli" in line and line.endswith("active")
    assert plain[1] not in listed.output and f"{plain[1][:10]}…" in line

    revoked = run("apikey", "revoke", "my-crm")
    assert revoked.exit_code == 0, revoked.output
    assert "Revoked API key my-crm" in revoked.output
    assert api_get(client, plain[1]).status_code == 401
    assert "revoked 20" in run("apikey", "list").output

    second = run("apikey", "create", "ats")
    key_id = re.search(r"id (key_\w+)", second.output)
    assert key_id, second.output
    assert run("apikey", "revoke", key_id[1]).exit_code == 0
    ctx = Context.build(settings)
    assert [(k.name, k.active) for k in apikeys.list_all(ctx)] == [("ats", False), ("my-crm", False)]
    assert [e.actor for e in audit_rows(ctx, "apikey.revoke")] == ["cli", "cli"]
    ctx.db.dispose()


def test_cli_errors_say_what_is_wrong_and_what_to_do(run: Any) -> None:
    assert "No API keys yet" in run("apikey", "list").output
    unknown = run("apikey", "revoke", "nope")
    assert unknown.exit_code == 1
    assert "No API key has the id or name 'nope'; see `leadhub apikey list`" in unknown.output
    run("apikey", "create", "twin")
    run("apikey", "create", "twin")
    ambiguous = run("apikey", "revoke", "twin")
    assert ambiguous.exit_code == 1 and "2 active keys are named 'twin'" in ambiguous.output
    assert "Name one by its id" in ambiguous.output
    first_id = re.findall(r"key_\w+", ambiguous.output)[0]
    assert run("apikey", "revoke", first_id).exit_code == 0
    assert run("apikey", "revoke", "twin").exit_code == 0  # one active key left with that name
    again = run("apikey", "revoke", first_id)
    assert again.exit_code == 1 and "was revoked already" in again.output
    assert "Every key named 'twin' is revoked already" in run("apikey", "revoke", "twin").output
    empty = run("apikey", "create", "")
    assert empty.exit_code == 1 and "Give the key a name" in empty.output
    bad_role = run("apikey", "create", "x", "--role", "owner")
    assert bad_role.exit_code == 2 and "owner" in bad_role.output
