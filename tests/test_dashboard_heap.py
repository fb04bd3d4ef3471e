"""The dashboard freezes its start-up objects out of Python's cycle collector (dashboard/heap.py)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, sys, time
from dashboard import connection, heap
before = gc.get_freeze_count()
heap.freeze_startup_heap([*connection.query_modules(), "analysis.no_such_module"])
frozen = gc.get_freeze_count()
heap.freeze_startup_heap(connection.query_modules())
start = time.perf_counter(); gc.collect(); full = time.perf_counter() - start
print(before, frozen, gc.get_freeze_count(), "analysis.visits" in sys.modules, f"{full:.4f}")
"""


def test_start_up_objects_are_frozen_once_and_every_query_module_imported():
    got = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    before, frozen, again, imported, full = got.stdout.split()
    assert int(before) == 0 and int(frozen) > 50_000      # the modules, classes and functions of the stack
    assert int(again) == int(frozen)                         # a second call (every Streamlit rerun) does nothing
    assert imported == "True"
    assert "could not import analysis.no_such_module" in got.stderr


def test_the_app_freezes_at_start_up(tmp_path):
    """The app itself, run headless in a fresh process, leaves its start-up objects frozen."""
    probe = f"""
import gc, os
os.environ["HOTSPOTS_DB"] = {str(tmp_path / "hotspots.duckdb")!r}
from streamlit.testing.v1 import AppTest
AppTest.from_file({str(ROOT / "dashboard" / "app.py")!r}, default_timeout=60).run()
print(gc.get_freeze_count())
"""
    got = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert got.returncode == 0, got.stderr
    assert int(got.stdout.split()[-1]) > 50_000
