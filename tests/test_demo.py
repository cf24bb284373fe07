"""`leadhub demo --once` from an empty folder: form leads reach the sample receiver with verified signatures, and
every platform's sandbox fake delivers leads by pull and by push (issue 3 acceptance)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_crash_recovery import free_port

PLATFORMS = {  # source → pulled as well as pushed
    "meta_lead_ads": True,
    "linkedin_lead_gen": True,
    "tiktok_leads": True,
    "google_ads_lead_forms": False,  # Google offers no API to pull leads from
    "eventbrite": True,
}


@pytest.mark.slow
def test_demo_delivers_sample_leads_and_leads_from_every_platform(tmp_path: Path) -> None:
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
        timeout=150,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    # children share the terminal, so lines may interleave: count the receiver's verdicts, not lines
    assert len(re.findall(r"lead\.captured\s+msg_\w+\s+signature verified\s+lead \w+ from form_webhook", out)) == 5
    assert "5 lead.captured and" in out
    assert "REJECTED" not in out
    assert "Skipped" not in out, out

    summary = out[out.index("Leads by source") :]
    for source, pulled in PLATFORMS.items():
        row = re.search(rf"^\s+{source}\s+\S+\s+(\S+)\s+(\S+)\s+(\d+)\s*$", summary, re.MULTILINE)
        assert row is not None, f"no summary row for {source}:\n{summary}"
        by_pull, by_push, stored = row.groups()
        assert int(by_push) > 0, row.group(0)
        assert (int(by_pull) > 0) if pulled else by_pull == "-", row.group(0)
        assert int(stored) == int(by_push) + (int(by_pull) if pulled else 0), row.group(0)
    assert re.search(r"^\s+form_webhook\s+careers-site\s+-\s+5\s+5\s*$", summary, re.MULTILINE), summary

    with sqlite3.connect(tmp_path / "var" / "leadhub.db") as db:
        stored = dict(
            db.execute(
                "SELECT c.platform, count(*) FROM leads l JOIN connections c ON c.id = l.connection_id GROUP BY 1"
            ).fetchall()
        )
        on_two = db.execute(
            "SELECT count(*) FROM (SELECT person_id FROM leads l JOIN connections c ON c.id = l.connection_id "
            "GROUP BY person_id HAVING count(DISTINCT c.platform) > 1)"
        ).fetchone()[0]
    assert all(stored.get(source, 0) > 0 for source in PLATFORMS), stored
    assert stored["form_webhook"] == 5
    assert on_two >= 1  # the demo's shared people answered on two platforms and are one person each
