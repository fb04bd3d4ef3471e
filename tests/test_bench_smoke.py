"""`python -m bench --quick` still runs end to end and produces its table (no time is asserted: it is not a test of speed)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_quick_bench_produces_the_table(tmp_path):
    report = tmp_path / "benchmarks.md"
    env = {k: v for k, v in os.environ.items() if k not in ("HOTSPOTS_DB", "HOTSPOTS_ACCOUNTS")}
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--work", str(tmp_path / "work"),
                           "--report", str(report)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = report.read_text()
    assert "| # | Measurement | Scale | Median | Min – max | p95 | Runs | Target | Met |" in text
    for section in ("0. Build", "1. ETL", "2. Dashboard data", "3. Map payload", "4. Gi*", "5. Memory",
                    "6. Host speed"):
        assert f"| {section} |" in text, section
    if os.path.exists("/usr/bin/chromium"):
        assert "| 3. Map page in Chromium |" in text
    assert "**CPU**" in text and "**DuckDB**" in text
    assert (tmp_path / "work" / "results.json").exists()
    assert "failed" not in text
