"""`leadhub demo --once` from an empty folder: leads reach the sample receiver with verified signatures."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_crash_recovery import free_port


@pytest.mark.slow
def test_demo_delivers_sample_leads_to_the_receiver(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADHUB_")}
    env.update(LEADHUB_DATA_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sync.cli",
            "demo",
            "--once",
            "--leads",
            "5",
            "--port",
            str(free_port()),
            "--receiver-port",
            str(free_port()),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # children share the terminal, so lines may interleave: count the receiver's verdicts, not lines
    assert len(re.findall(r"lead\.captured\s+msg_\w+\s+signature verified", result.stdout)) == 5
    assert "5 lead.captured and" in result.stdout
    assert "REJECTED" not in result.stdout
