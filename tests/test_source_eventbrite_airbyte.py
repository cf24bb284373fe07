"""The eventbrite manifest as an Airbyte connector: the CDK's own console script and its standard test suite,
both against the sandbox fake (no Docker: the image tests are skipped)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from connectors.sources import eventbrite
from connectors.sources.eventbrite.fake import EventbriteFake
from tests import airbyte_cli

airbyte_cli.register_cdk_markers()

from airbyte_cdk.test import standard_tests  # noqa: E402
from airbyte_cdk.test.models import ConnectorTestScenario  # noqa: E402
from airbyte_cdk.test.standard_tests import pytest_hooks  # noqa: E402

CONNECTOR = Path(eventbrite.__file__).parent


# The standard suite reads its configs while pytest collects, before any fixture runs, so the fake's socket
# is bound now (no other server can take the port meanwhile); the module fixture below serves it.
SANDBOX = EventbriteFake(token="sandbox-private-token", page_size=3)
SERVER = make_server("127.0.0.1", 0, SANDBOX.app(), threaded=True)
FAKE_URL = f"http://127.0.0.1:{SERVER.server_port}"
SANDBOX.public_url = FAKE_URL
SANDBOX.seed_world(events=2, attendees_per_event=4)


@pytest.fixture(scope="module", autouse=True)
def eventbrite_sandbox() -> Iterator[EventbriteFake]:
    thread = threading.Thread(target=SERVER.serve_forever, daemon=True)
    thread.start()
    yield SANDBOX
    SERVER.shutdown()
    SERVER.server_close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """This module's own use of the CDK's ``scenario`` parametrisation (a global ``pytest_plugins`` would
    parametrise every later module too); skipped when someone registered the CDK plugin globally anyway."""
    if not metafunc.config.pluginmanager.has_plugin(pytest_hooks.__name__):
        pytest_hooks.pytest_generate_tests(metafunc)


def _config(path: Path) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(path.read_text())
    return {**config, "base_url": f"{FAKE_URL}/v3"}


class TestEventbriteStandardSuite(standard_tests.DeclarativeSourceTestSuite):
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


def test_the_cdk_console_script_runs_spec_check_discover_and_read_against_the_fake(tmp_path: Path) -> None:
    config = _config(CONNECTOR / "integration_tests" / "config.json")
    run = airbyte_cli.spec_check_discover_read(CONNECTOR, config, tmp_path)

    assert [m["type"] for m in run.spec] == ["SPEC"]
    status = run.of_type("check", "CONNECTION_STATUS")
    assert status[0]["connectionStatus"]["status"] == "SUCCEEDED"
    [discovered] = run.of_type("discover", "CATALOG")
    streams = {s["name"]: s for s in discovered["catalog"]["streams"]}
    assert set(streams) == {"organizations", "events", "attendees"}
    assert streams["attendees"]["default_cursor_field"] == ["changed"]
    messages = run.read
    records = [m["record"]["data"] for m in messages if m["type"] == "RECORD"]
    assert len(records) == 8
    assert {r["event_name"] for r in records} == {
        "Karrieretag Pflege – Klinikum Nordstadt",
        "IT-Talents Meetup Leipzig",
    }
    final = [m["state"] for m in messages if m["type"] == "STATE"][-1]["stream"]["stream_state"]
    assert max(s["cursor"]["changed"] for s in final["states"]) == "2026-10-01T10:03:00Z"
    assert not list(tmp_path.glob("**/*.sqlite"))  # no request cache with personal data
