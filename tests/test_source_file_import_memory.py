"""Big files stream: reading 200,000 rows, or reporting 20,000 bad ones, keeps memory flat."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

from connectors.sources.file_import import problems, samples
from core.context import Context
from sync import connections, file_import

MB = 1024 * 1024


READ_IN_A_FRESH_PROCESS = """
import json, resource, sys
from pathlib import Path
from connectors.sources.file_import import sniff
from connectors.sources.file_import.reader import Reader, Row
path = Path(sys.argv[1])
fmt = sniff.detect(path)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rows = lines = 0
with Reader(path, fmt) as reader:
    for item in reader:
        assert isinstance(item, Row), item
        rows, lines = rows + 1, item.line
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": rows, "lines": lines, "growth_kib": after - before}))
"""


def test_reading_200000_rows_keeps_peak_rss_flat(tmp_path: Path) -> None:
    path = samples.write_csv(tmp_path / "big.csv", 200_000)  # written row by row
    assert path.stat().st_size > 20 * MB
    # a fresh interpreter, so that the peak RSS (a high-water mark) is this reader's and no earlier test's
    done = subprocess.run(
        [sys.executable, "-c", READ_IN_A_FRESH_PROCESS, str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["rows"] == 200_000 and result["lines"] > 200_000  # some notes hold a line break
    assert result["growth_kib"] < 8 * 1024, f"peak RSS grew by {result['growth_kib'] / 1024:.1f} MB while reading"


def test_twenty_thousand_bad_rows_are_all_reported_but_few_are_kept_in_memory(ctx: Context, tmp_path: Path) -> None:
    connections.create(ctx, "imports", "file_import")
    path = tmp_path / "shifted.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("Vorname;Nachname;E-Mail\n")
        for n in range(20_000):
            handle.write(f"Jonas;Becker;jonas{n}@example.org;Köln\n")  # one column too many
    warm_up = tmp_path / "one.csv"
    warm_up.write_text("Vorname;E-Mail\nJonas;jonas@example.org\n", encoding="utf-8")
    file_import.run(ctx, warm_up, "imports")  # imports, mapping and SQL caches are not what we measure
    tracemalloc.start()
    try:
        report = file_import.run(ctx, path, "imports")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (report.rows, report.stored, len(report.problems)) == (20_000, 0, 20_000)
    # the 1 MiB sample read to detect the encoding, the first 1,000 problems, buffers: never the rows
    assert peak < 3 * MB, f"peak {peak / MB:.1f} MB while reporting"
    assert len(report.problems[:50]) == 50 and report.problems[-1].line == 20_001
    assert sum(1 for _ in report.problems) == 20_000  # the rest is read back from the problems file
    assert len(report.problems_file.read_text(encoding="utf-8").splitlines()) == 20_001
    assert problems.KEPT_IN_MEMORY < 20_000
