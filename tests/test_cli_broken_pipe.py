"""A reader that stops reading (`python -m etl rejects | head -1`) is normal shell use: the command stops quietly,
with the exit status a closed pipe gives any program (141), no error line and no traceback; a change the command
made before its output was cut is still audited."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from access.store import Store
from tests.helpers import load_text, query

ROOT = Path(__file__).resolve().parent.parent
CLOSED_PIPE = 141   # 128 + SIGPIPE: what the shell reports for any program a closed pipe stops (etl.cli.common)


def run_into_a_closed_pipe(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m etl ARGS` with its standard output a pipe whose reader has already gone: every write to it
    fails (EPIPE), whatever the amount printed, as the lines after the first do under `| head -1`."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, stdout=write, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True, timeout=120, env={**os.environ, **(env or {})})
    finally:
        os.close(write)


@pytest.fixture
def warehouse(tmp_path) -> Path:
    db = tmp_path / "w.duckdb"
    assert subprocess.run([sys.executable, "-m", "etl", "init", "--db", str(db)], cwd=ROOT,
                          capture_output=True).returncode == 0
    return db


@pytest.mark.parametrize("command", [["rejects"], ["status"], ["outcomes", "list"]])
def test_a_listing_into_a_closed_pipe_stops_quietly(warehouse, command):
    r = run_into_a_closed_pipe(*command, "--db", str(warehouse))
    assert r.returncode == CLOSED_PIPE
    assert r.stderr == ""          # no "error: unexpected BrokenPipeError", no "Exception ignored", no traceback


def test_a_change_whose_output_is_cut_still_stands_and_is_audited(warehouse, tmp_path):
    """`remove` prints what it removed before it audits the removal: cutting the print must not skip the audit,
    nor say "nothing was changed" of a change made."""
    load_text(warehouse, "reports", "Report Ref,Date Received,Address\nR1,01/03/2025,1 Mill Lane\n", source="Wrong")
    accounts = tmp_path / "accounts.db"
    r = run_into_a_closed_pipe("remove", "reports", "Wrong", "--yes", "--db", str(warehouse),
                               "--accounts", str(accounts))
    assert r.returncode == CLOSED_PIPE and r.stderr == ""
    assert query(warehouse, "SELECT count(*) FROM reports") == [(0,)]
    (row,) = Store(accounts, warehouse).audit_rows(action="remove_source")
    assert row["target"] == "Wrong"


def test_head_takes_the_first_line_of_a_long_listing_and_the_rest_stops_quietly(warehouse):
    """`rejects | head -1` as typed: head exits after one line, and the listing (far more than a pipe holds)
    meets the closed pipe part way through."""
    rows = "".join(f"L{i},{i} Long Road PE13 1AB,lots\n" for i in range(3000))
    load_text(warehouse, "hmo", "Licence Number,Address,Max Occupants\nL0,1 Long Road PE13 1AB,4\n" + rows)
    r = subprocess.run(["bash", "-c", f'"{sys.executable}" -m etl rejects --db "{warehouse}" | head -1; '
                                      'exit "${PIPESTATUS[0]}"'], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.stdout == "load_id,file,source,row,reason,raw,status\n"
    assert r.returncode == CLOSED_PIPE and r.stderr == ""


def test_only_the_closed_pipe_is_quiet(tmp_path):
    """A real failure still says why, on standard error, with status 2, whether or not the output is read."""
    missing = str(tmp_path / "none.duckdb")
    assert run_into_a_closed_pipe("status", "--db", str(tmp_path / "none.duckdb")).returncode == 2
    r = run_into_a_closed_pipe("rejects", "--load", "9", "--db", missing)
    assert r.returncode == 2 and r.stderr.startswith("error: no warehouse at ")
    empty = tmp_path / "w.duckdb"
    assert subprocess.run([sys.executable, "-m", "etl", "init", "--db", str(empty)], cwd=ROOT,
                          capture_output=True).returncode == 0
    r = run_into_a_closed_pipe("rejects", "--db", str(empty))
    assert r.returncode == CLOSED_PIPE and r.stderr == ""
