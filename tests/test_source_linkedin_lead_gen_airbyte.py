"""linkedin_lead_gen as an Airbyte connector: the CDK's console script and standard test suite, against the fake.

The Docker image tests of the suite are skipped here (they build an image: run ``airbyte-cdk image test`` in a job
with a Docker daemon). Everything else runs in-process against the fake on a loopback port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import DeclarativeSourceTestSuite
from airbyte_cdk.test.standard_tests.pytest_hooks import (  # noqa: F401 - fixtures and the scenario hook
    pytest_generate_tests,
    read_from_streams,
    read_scenarios,
)

from connectors.sources import linkedin_lead_gen
from connectors.sources.linkedin_lead_gen import config as li_config
from connectors.sources.linkedin_lead_gen.fake import FakeLinkedIn
from tests.conftest import LiveServer

ROOT = Path(linkedin_lead_gen.__file__).parent
CLI = Path(sys.executable).parent / "source-declarative-manifest"


@pytest.fixture(autouse=True, scope="module")
def _undo_entrypoint_side_effects() -> Any:
    """AirbyteEntrypoint leaves REQUEST_CACHE_PATH set and replaces sys.excepthook; later tests need neither."""
    hook, cache_path = sys.excepthook, os.environ.get("REQUEST_CACHE_PATH")
    yield
    sys.excepthook = hook
    if cache_path is None:
        os.environ.pop("REQUEST_CACHE_PATH", None)
    else:
        os.environ["REQUEST_CACHE_PATH"] = cache_path


@cache
def shared_fake() -> tuple[FakeLinkedIn, str]:
    """One fake for the standard suite, started when pytest collects its scenarios (the URL goes into configs)."""
    fake = FakeLinkedIn(today=date(2026, 11, 26))
    start = int((datetime.now(UTC) - timedelta(days=30)).timestamp() * 1000)
    fake.add_leads(6, at_ms=start, version=1)
    fake.add_leads(5, at_ms=start + 86_400_000)
    return fake, LiveServer(fake.app()).url


def point_at(config: dict[str, Any], url: str) -> dict[str, Any]:
    pointed = {**config, "base_url": url}
    if "token_url" in config:
        pointed["token_url"] = f"{url}/oauth/v2/accessToken"
    return pointed


class TestLinkedInLeadGenStandard(DeclarativeSourceTestSuite):
    """airbyte_cdk.test.standard_tests: spec, check (valid, OAuth, invalid), discover, read, bad catalog."""

    @classmethod
    def get_connector_root_dir(cls) -> Path:
        return ROOT

    @classmethod
    def get_scenarios(cls) -> list[ConnectorTestScenario]:
        _, url = shared_fake()
        return [
            scenario.model_copy(update={"config_dict": point_at(json.loads((ROOT / path).read_text()), url)})
            if (path := scenario.config_path) is not None
            else scenario
            for scenario in super().get_scenarios()
        ]


def _skip_image_test(self: Any) -> None:
    pytest.skip("builds a Docker image; run `airbyte-cdk image test` where a Docker daemon is available")


for _name in [n for n in dir(DeclarativeSourceTestSuite) if n.startswith("test_docker_image")]:
    setattr(TestLinkedInLeadGenStandard, _name, _skip_image_test)


def cli(tmp_path: Path, *commands: list[str]) -> list[list[dict[str, Any]]]:
    """Run the CDK's source-declarative-manifest console script once per command; stdout is protocol JSON lines."""
    env = {k: v for k, v in os.environ.items() if k != "REQUEST_CACHE_PATH"}
    outputs = []
    for command in commands:
        done = subprocess.run(
            [str(CLI), *command], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env, check=False
        )
        messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        assert done.returncode == 0, f"{command[0]}: {done.stderr[-2000:]}\n" + "\n".join(map(str, messages[-5:]))
        outputs.append(messages)
    return outputs


def test_spec_check_discover_and_read_through_the_console_script(live_server: Any, tmp_path: Path) -> None:
    fake = FakeLinkedIn(today=date(2026, 11, 26))
    fake.add_leads(7, at_ms=int((datetime.now(UTC) - timedelta(days=5)).timestamp() * 1000))
    url = live_server(fake.app()).url
    config = point_at(json.loads((ROOT / "integration_tests/config.json").read_text()), url)
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text((ROOT / "integration_tests/configured_catalog.json").read_text())
    manifest = ["--config", "config.json", "--manifest-path", str(ROOT / "manifest.yaml")]

    spec, check, discover, read = cli(
        tmp_path,
        ["spec"],
        ["check", *manifest],
        ["discover", *manifest],
        ["read", *manifest, "--catalog", "catalog.json"],
    )
    # Outside the image the script serves any manifest, so `spec` prints its own generic spec.
    assert [m["type"] for m in spec] == ["SPEC"]
    status = [m for m in check if m["type"] == "CONNECTION_STATUS"]
    assert status[0]["connectionStatus"]["status"] == "SUCCEEDED"
    catalog = next(m for m in discover if m["type"] == "CATALOG")["catalog"]
    streams = {s["name"]: s for s in catalog["streams"]}
    assert set(streams) == {"lead_form_responses", "lead_forms"}
    assert streams["lead_form_responses"]["default_cursor_field"] == ["submittedAt"]
    records = [m["record"] for m in read if m["type"] == "RECORD"]
    leads = [r["data"] for r in records if r["stream"] == "lead_form_responses"]
    assert len(leads) == 7 and all(lead["fields"]["EMAIL"].endswith("@example.org") for lead in leads)
    assert len([r for r in records if r["stream"] == "lead_forms"]) == 2
    states = [m["state"] for m in read if m["type"] == "STATE"]
    assert states[-1]["stream"]["stream_state"]["submittedAt"] == str(max(lead["submittedAt"] for lead in leads))


def test_fetch_projects_the_same_fields_as_the_manifest() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yaml").read_text())
    url = manifest["definitions"]["lead_form_responses"]["retriever"]["requester"]["url"]
    assert url.split("&fields=")[1].strip() == li_config.PROJECTION


def test_the_manifest_default_version_matches_the_connector_default() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yaml").read_text())
    spec = manifest["spec"]["connection_specification"]["properties"]
    assert spec["linkedin_version"]["default"] == li_config.DEFAULT_VERSION
    assert (
        f"or '{li_config.DEFAULT_VERSION}'"
        in manifest["definitions"]["requester"]["request_headers"]["LinkedIn-Version"]
    )
