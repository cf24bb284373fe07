"""The leadhub CLI: every command answers --help; set-up commands work against a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from core.context import Context
from core.models import User
from core.settings import Settings
from sync.cli import main

COMMANDS = [
    [],
    ["demo"],
    ["serve"],
    ["worker"],
    ["migrate"],
    ["user", "create"],
    ["connectors", "list"],
    ["sync"],
    ["import"],
    ["schema", "export"],
    ["config", "export"],
    ["config", "import"],
    ["connections", "add"],
    ["endpoints", "add"],
    ["endpoints", "rotate"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "leadhub")
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


@pytest.fixture
def run(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in settings.as_env().items():
        monkeypatch.setenv(key, value)

    def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
        return CliRunner().invoke(main, list(args), env=env)

    return invoke


def test_migrate_upgrades_the_configured_database(run: Any) -> None:
    result = run("migrate")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_user_create_stores_a_scrypt_hash(run: Any, settings: Settings) -> None:
    result = run(
        "user",
        "create",
        "Admin@Example.org",
        "--role",
        "admin",
        env={"LEADHUB_NEW_USER_PASSWORD": "correct horse battery"},
    )
    assert result.exit_code == 0, result.output
    with Context.build(settings).db.session() as session:
        user = session.scalar(select(User))
    assert user.email == "admin@example.org" and user.role == "admin"
    assert user.password_hash.startswith("scrypt:") and "correct horse" not in user.password_hash


def test_user_create_refuses_a_short_password(run: Any) -> None:
    result = run("user", "create", "a@example.org", env={"LEADHUB_NEW_USER_PASSWORD": "short"})
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output


def test_connectors_list_names_every_platform(run: Any) -> None:
    output = run("connectors", "list").output
    for name in ("form_webhook", "meta_lead_ads", "webhook", "hubspot", "greenhouse"):
        assert name in output


def test_connection_and_endpoint_round_trip_through_config_export_and_import(
    run: Any, tmp_path: Path, settings: Settings
) -> None:
    assert (
        run("connections", "add", "careers", "--platform", "form_webhook", "--secret", "signing_secret=abc").exit_code
        == 0
    )
    added = run("endpoints", "add", "crm", "https://vendor.example/hooks", "--events", "lead.captured")
    assert "whsec_" in added.output
    exported = run("config", "export").output
    assert "abc" not in exported and "whsec_" not in exported  # secrets never leave as plaintext
    document = yaml.safe_load(exported)
    assert document["connections"][0]["secrets"] == {"signing_secret": "${CAREERS_SIGNING_SECRET}"}
    document["connections"][0]["name"] = "careers-2"
    document["endpoints"][0]["name"] = "crm-2"
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(document))
    result = run(
        "config", "import", str(path), env={"CAREERS_SIGNING_SECRET": "xyz", "CRM_SECRET": "whsec_" + "A" * 44}
    )
    assert result.exit_code == 0, result.output
    assert "created connection careers-2" in result.output and "created endpoint crm-2" in result.output


def test_config_import_names_a_missing_environment_variable(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text("connections:\n- {name: c, platform: form_webhook, secrets: {signing_secret: '${NOPE_X}'}}\n")
    result = run("config", "import", str(path))
    assert result.exit_code == 1 and "${NOPE_X}" in result.output


def test_unknown_platform_is_a_readable_error(run: Any) -> None:
    result = run("connections", "add", "x", "--platform", "myspace")
    assert result.exit_code == 1
    assert "Unknown connector 'myspace'" in result.output and "Traceback" not in result.output


def test_the_web_role_does_not_import_airbyte_cdk(settings: Settings) -> None:
    code = (
        "import sys; from admin.app import create_app; create_app(); "
        "sys.exit(1 if any(m.startswith('airbyte_cdk') for m in sys.modules) else 0)"
    )
    env = {**os.environ, **settings.as_env()}
    assert subprocess.run([sys.executable, "-c", code], env=env, timeout=60).returncode == 0


def test_a_malformed_environment_variable_is_one_readable_line(run: Any) -> None:
    result = run("connections", "list", env={"LEADHUB_SQLITE_SYNCHRONOUS": "sometimes"})
    assert result.exit_code == 1
    assert "LEADHUB_SQLITE_SYNCHRONOUS" in result.output and "Traceback" not in result.output


def test_config_import_reads_leadhub_config_and_shows_a_generated_secret_once(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text("endpoints:\n- {name: crm, url: 'https://vendor.example/hooks', events: [lead.captured]}\n")
    result = run("config", "import", env={"LEADHUB_CONFIG": str(path)})
    assert result.exit_code == 0, result.output
    assert "created endpoint crm (generated signing secret, shown once: whsec_" in result.output
