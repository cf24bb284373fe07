"""The tiktok_leads manifest as an Airbyte connector: the CDK's own console script and its standard test suite,
both against the sandbox fake (no Docker: the image tests are skipped)."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from connectors.sources import tiktok_leads
from connectors.sources.tiktok_leads.fake import TikTokFake
from tests import airbyte_cli

pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]


airbyte_cli.register_cdk_markers()
_root = logging.getLogger()
_handlers, _level = list(_root.handlers), _root.level  # importing the CDK replaces the root logger's handlers
from airbyte_cdk.sources.declarative.async_job.job_orchestrator import AsyncJobOrchestrator  # noqa: E402
from airbyte_cdk.test import standard_tests  # noqa: E402
from airbyte_cdk.test.models import ConnectorTestScenario  # noqa: E402

_root.handlers[:], _root.level = _handlers, _level

CONNECTOR = Path(tiktok_leads.__file__).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The standard suite reads its configs while pytest collects, before any fixture runs: the fake's port is
# chosen now and the module fixture below serves the fake on it.
PORT = _free_port()
FAKE_URL = f"http://127.0.0.1:{PORT}"


@pytest.fixture(scope="module", autouse=True)
def tiktok_sandbox() -> Iterator[TikTokFake]:
    fake = TikTokFake(polls_until_done=0)  # SUCCEED at the first poll: the console script polls every 5 s
    fake.add_leads(3)
    server = make_server("127.0.0.1", PORT, fake.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """In this process the suite need not wait the CDK's 5 s between polls of an export task."""
    monkeypatch.setattr(AsyncJobOrchestrator, "_WAIT_TIME_BETWEEN_STATUS_UPDATE_IN_SECONDS", 0.02)


def _config(path: Path) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(path.read_text())
    return {**config, "base_url": FAKE_URL}


class TestTikTokLeadsStandardSuite(standard_tests.DeclarativeSourceTestSuite):
    """Airbyte's standard tests: spec, check (valid and revoked token), discover, basic read, bad catalog."""

    @classmethod
    def get_connector_root_dir(cls) -> Path:
        return CONNECTOR

    @classmethod
    def get_scenarios(cls) -> list[ConnectorTestScenario]:
        scenarios = super().get_scenarios()
        return [
            s.model_copy(update={"config_dict": _config(CONNECTOR / s.config_path)}) if s.config_path else s
            for s in scenarios
        ]

    # The image tests build and run a Docker image; without a Docker daemon (CI, this suite) they are skipped.
    _no_docker = pytest.mark.skip(reason="needs a Docker daemon; run `airbyte-cdk image test` where one exists")
    _base = standard_tests.DeclarativeSourceTestSuite
    test_docker_image_build_and_spec = _no_docker(_base.test_docker_image_build_and_spec)
    test_docker_image_spec_backward_compatibility = _no_docker(_base.test_docker_image_spec_backward_compatibility)
    test_docker_image_build_and_check = _no_docker(_base.test_docker_image_build_and_check)
    test_docker_image_build_and_config_matches_spec = _no_docker(_base.test_docker_image_build_and_config_matches_spec)
    test_docker_image_build_and_discover = _no_docker(_base.test_docker_image_build_and_discover)
    test_docker_image_build_and_read = _no_docker(_base.test_docker_image_build_and_read)


def test_the_cdk_console_script_runs_spec_check_discover_and_read_against_the_fake(
    tmp_path: Path, tiktok_sandbox: TikTokFake
) -> None:
    config = _config(CONNECTOR / "integration_tests" / "config.json")
    # read also waits one 5 s poll of the export task
    run = airbyte_cli.spec_check_discover_read(CONNECTOR, config, tmp_path, timeout_s=120)

    assert [m["type"] for m in run.spec] == ["SPEC"]  # the script's own spec; ours: TestTikTok….test_spec
    (status,) = run.of_type("check", "CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "SUCCEEDED"
    (catalog_message,) = run.of_type("discover", "CATALOG")
    assert sorted(s["name"] for s in catalog_message["catalog"]["streams"]) == ["forms", "leads"]
    records = [m["record"]["data"] for m in run.of_type("read", "RECORD")]
    expected = {lead["lead_id"] for lead in tiktok_sandbox.forms[0].leads}
    assert {r["lead_id"] for r in records} == expected
    assert all(r["advertiser_id"] == tiktok_sandbox.advertiser_id and r["fields"]["email"] for r in records)
    assert set(tmp_path.iterdir()) == {run.config, run.catalog}  # the CSV's temporary file is gone, no request cache
