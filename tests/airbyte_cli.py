"""Run a manifest connector through the CDK's ``source-declarative-manifest`` console script, as an Airbyte
platform does: one process per verb, protocol messages as JSON lines on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SDM = Path(sys.executable).parent / "source-declarative-manifest"


def register_cdk_markers() -> None:
    """The CDK's standard suite marks tests ``image_tests``/``requires_creds`` as it is imported; under
    --strict-markers they must be known first. Call before importing ``airbyte_cdk.test``. (To drop once
    pyproject.toml lists them.)"""
    config = getattr(pytest.mark, "_config", None)
    known = "\n".join(config.getini("markers")) if config is not None else ""
    for line in ("image_tests: builds and runs the connector's Docker image", "requires_creds: needs secrets"):
        if config is not None and line.split(":")[0] not in known:
            config.addinivalue_line("markers", line)


def start(connector: Path, verb: str, *args: str, cwd: Path) -> subprocess.Popen[str]:
    """One verb of the connector in its own process (no request cache: it would store personal data)."""
    command = [str(SDM), verb, *args, "--manifest-path", str(connector / "manifest.yaml")]
    env = {k: v for k, v in os.environ.items() if k != "REQUEST_CACHE_PATH"}
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def messages(process: subprocess.Popen[str], timeout_s: float = 180) -> list[dict[str, Any]]:
    """The protocol messages of a finished process; fails with its output when it exited non-zero."""
    out, err = process.communicate(timeout=timeout_s)
    assert process.returncode == 0, f"{process.args[1]} exited {process.returncode}: {out[-1500:]} {err[-1500:]}"
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@dataclass(frozen=True)
class Run:
    """The messages of each verb, and the files the run was given."""

    config: Path
    catalog: Path
    spec: list[dict[str, Any]]
    check: list[dict[str, Any]]
    discover: list[dict[str, Any]]
    read: list[dict[str, Any]]

    def of_type(self, verb: str, kind: str) -> list[dict[str, Any]]:
        """e.g. ``of_type("read", "RECORD")``."""
        found: list[dict[str, Any]] = getattr(self, verb)
        return [m for m in found if m["type"] == kind]


def spec_check_discover_read(connector: Path, config: dict[str, Any], cwd: Path, timeout_s: float = 180) -> Run:
    """The four verbs with ``config`` and the connector's configured catalog, started together (each process
    pays the CDK's import time, so running them side by side saves most of it)."""
    config_path = cwd / "config.json"
    config_path.write_text(json.dumps(config))
    catalog = cwd / "catalog.json"
    catalog.write_text((connector / "integration_tests" / "configured_catalog.json").read_text())
    processes = {
        "spec": start(connector, "spec", cwd=cwd),
        "check": start(connector, "check", "--config", str(config_path), cwd=cwd),
        "discover": start(connector, "discover", "--config", str(config_path), cwd=cwd),
        "read": start(connector, "read", "--config", str(config_path), "--catalog", str(catalog), cwd=cwd),
    }
    found = {verb: messages(process, timeout_s) for verb, process in processes.items()}
    return Run(config_path, catalog, **found)
