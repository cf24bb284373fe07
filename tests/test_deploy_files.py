"""Dockerfile and compose.yaml name only real commands and settings (no Docker engine needed)."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from core.settings import Settings
from sync.cli import main

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
LEADHUB_SERVICES = ("migrate", "web", "worker")
KNOWN_VARIABLES = {f"LEADHUB_{name.upper()}" for name in Settings.model_fields}
_COMPOSE_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(?::?[-?+])[^}]*)?\}")


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def services() -> dict[str, Any]:
    return compose()["services"]


def leadhub_services() -> dict[str, Any]:
    return {name: svc for name, svc in services().items() if "build" in svc or "leadhub" in svc.get("image", "")}


def as_list(command: str | list[str]) -> list[str]:
    parts = shlex.split(command) if isinstance(command, str) else [str(part) for part in command]
    return parts[1:] if parts and parts[0] == "leadhub" else parts


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def dependencies(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined and comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = pending + stripped
        pending = ""
        keyword, _, args = full.partition(" ")
        result.append((keyword.upper(), args.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return result


def last(keyword: str) -> str:
    values = [args for kw, args in instructions() if kw == keyword]
    assert values, f"the Dockerfile has no {keyword}"
    return values[-1]


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"{args} is not exec form"
    assert all(isinstance(part, str) for part in value), f"{args} is not exec form"
    return value


def assert_real_command(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0, f"`leadhub {' '.join(command)}` is not a command: {result.output}"


def substitute(value: str) -> str:
    """What compose would pass, with a stand-in for each ${VAR…} it interpolates from the shell."""
    return _COMPOSE_VAR.sub("stand-in-value", value)


# --- compose.yaml --------------------------------------------------------------------------------


def test_compose_runs_migrate_web_and_worker_from_the_leadhub_image() -> None:
    assert set(LEADHUB_SERVICES) <= set(leadhub_services())
    assert {"postgres", "redis"} <= set(services())


@pytest.mark.parametrize("name", LEADHUB_SERVICES)
def test_every_leadhub_service_runs_a_real_cli_command(name: str) -> None:
    command = as_list(services()[name]["command"])
    assert command, f"{name} has an empty command"
    assert_real_command(command)


def test_each_role_runs_the_command_of_its_name() -> None:
    svc = services()
    assert as_list(svc["migrate"]["command"])[0] == "migrate"
    assert as_list(svc["web"]["command"])[0] == "serve"
    assert as_list(svc["worker"]["command"])[0] == "worker"


def test_web_listens_on_all_interfaces_on_the_port_it_publishes() -> None:
    web = services()["web"]
    command = as_list(web["command"])
    assert command[command.index("--host") + 1] == "0.0.0.0"
    port = command[command.index("--port") + 1]
    published = [str(p).rsplit(":", 1)[-1] for p in web.get("ports", [])]
    assert port in published


@pytest.mark.parametrize("name", ["web", "worker"])
def test_web_and_worker_start_after_migrate_succeeded_and_postgres_and_redis_are_healthy(name: str) -> None:
    deps = dependencies(services()[name])
    assert deps.get("migrate") == "service_completed_successfully"
    assert deps.get("postgres") == "service_healthy"
    assert deps.get("redis") == "service_healthy"


def test_migrate_waits_for_a_healthy_postgres_and_runs_once() -> None:
    migrate = services()["migrate"]
    assert dependencies(migrate).get("postgres") == "service_healthy"
    assert str(migrate.get("restart", "no")) == "no"


@pytest.mark.parametrize("name", ["postgres", "redis"])
def test_postgres_and_redis_have_healthchecks(name: str) -> None:
    check = services()[name].get("healthcheck") or {}
    assert check.get("test") and not check.get("disable")


def test_postgres_is_version_16_checked_with_pg_isready_and_redis_is_version_7() -> None:
    svc = services()
    assert svc["postgres"]["image"] == "postgres:16"
    assert "pg_isready" in " ".join(as_list(svc["postgres"]["healthcheck"]["test"]))
    assert svc["redis"]["image"] == "redis:7"


@pytest.mark.parametrize("name", LEADHUB_SERVICES)
def test_leadhub_services_use_only_variables_that_settings_knows(name: str) -> None:
    env = environment(services()[name])
    unknown = sorted(key for key in env if key.startswith("LEADHUB_") and key not in KNOWN_VARIABLES)
    assert not unknown, f"{name} sets {unknown}; Settings knows {sorted(KNOWN_VARIABLES)}"


@pytest.mark.parametrize("name", LEADHUB_SERVICES)
def test_leadhub_services_point_at_the_compose_postgres_and_redis(name: str) -> None:
    env = environment(services()[name])
    assert env["LEADHUB_DATABASE_URL"] == "postgresql://leadhub:leadhub@postgres:5432/leadhub"
    assert env["LEADHUB_REDIS_URL"] == "redis://redis:6379/0"


@pytest.mark.parametrize("name", LEADHUB_SERVICES)
def test_the_secret_key_comes_from_the_shell_and_must_be_set(name: str) -> None:
    value = environment(services()[name])["LEADHUB_SECRET_KEY"]
    assert re.fullmatch(r"\$\{LEADHUB_SECRET_KEY:\?[^}]+\}", value), value


@pytest.mark.parametrize("name", LEADHUB_SERVICES)
def test_the_compose_environment_is_valid_settings(name: str) -> None:
    env = {key: substitute(value) for key, value in environment(services()[name]).items()}
    settings = Settings.from_env(env)
    assert not settings.is_sqlite
    assert settings.redis_url == "redis://redis:6379/0"


def test_postgres_credentials_match_the_database_url() -> None:
    pg = environment(services()["postgres"])
    url = f"postgresql://{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@postgres:5432/{pg['POSTGRES_DB']}"
    assert environment(services()["web"])["LEADHUB_DATABASE_URL"] == url


def test_only_the_web_role_keeps_the_images_http_healthcheck() -> None:
    svc = services()
    assert not (svc["web"].get("healthcheck") or {}).get("disable")
    for name in ("worker", "migrate"):
        assert (svc[name].get("healthcheck") or {}).get("disable") is True, f"{name} would report unhealthy"


# --- Dockerfile ----------------------------------------------------------------------------------


def test_the_image_is_built_on_python_3_11_slim() -> None:
    assert next(args for kw, args in instructions() if kw == "FROM").split()[0] == "python:3.11-slim"


def test_entrypoint_is_leadhub() -> None:
    assert exec_form(last("ENTRYPOINT")) == ["leadhub"]


def test_default_command_serves_the_web_role_on_all_interfaces() -> None:
    command = exec_form(last("CMD"))
    assert command[0] == "serve"
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert_real_command(command)


def test_the_image_runs_as_a_user_who_is_not_root() -> None:
    user = last("USER").split(":", 1)[0]
    assert user not in {"root", "0"}, f"USER {user} is root"


def test_the_package_is_installed_not_in_editable_mode() -> None:
    runs = " ".join(args for kw, args in instructions() if kw == "RUN")
    assert re.search(r"pip install (--\S+ )*\.(\s|$)", runs), runs
    assert "-e " not in runs and "--editable" not in runs


def test_the_image_copies_every_package_that_pyproject_installs() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in include}
    sources = {part.rstrip("/") for kw, args in instructions() if kw == "COPY" for part in args.split()[:-1]}
    assert packages <= sources, f"not copied: {sorted(packages - sources)}"
    assert {"pyproject.toml", "README.md"} <= sources


def test_the_data_dir_is_data_and_is_a_known_setting() -> None:
    env_lines = " ".join(args for kw, args in instructions() if kw == "ENV")
    assert re.search(r"\bLEADHUB_DATA_DIR=/data\b", env_lines)
    names = set(re.findall(r"\b(LEADHUB_[A-Z0-9_]+)=", env_lines))
    assert names <= KNOWN_VARIABLES, sorted(names - KNOWN_VARIABLES)


def test_the_image_exposes_8000_and_checks_healthz() -> None:
    assert "8000" in last("EXPOSE").split()
    healthcheck = last("HEALTHCHECK")
    assert "python" in healthcheck and "/healthz" in healthcheck and ":8000" in healthcheck


def test_dockerignore_keeps_the_venv_and_local_data_out_but_not_the_readme() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", "var", ".git"} <= ignored
    assert not {"README.md", "pyproject.toml", "core", "sync"} & ignored
