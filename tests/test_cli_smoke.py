"""`python -m etl` as an analyst runs it: in a subprocess, with exit codes and what lands on the screen."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def etl(*args: str, env_db: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "HOTSPOTS_DB"}
    if env_db is not None:
        env["HOTSPOTS_DB"] = str(env_db)
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "warehouse" / "hotspots.duckdb"


@pytest.mark.parametrize("args", [["--help"], ["init", "--help"], ["load", "--help"], ["status", "--help"],
                                  ["rejects", "--help"]])
def test_help(args):
    result = etl(*args)
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_help_lists_the_commands():
    out = etl("--help").stdout
    for command in ("init", "load", "status", "rejects"):
        assert command in out


def test_load_help_names_every_kind():
    out = etl("load", "--help").stdout
    for kind in ("hmo", "reports", "cases", "boundaries", "postcodes"):
        assert kind in out


def test_init_then_status_and_rejects_on_a_new_warehouse(db):
    result = etl("init", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert db.exists()
    assert "applied migrations" in result.stdout

    again = etl("init", "--db", str(db))
    assert again.returncode == 0, again.stderr
    assert "up to date" in again.stdout

    status = etl("status", "--db", str(db))
    assert status.returncode == 0, status.stderr
    assert "empty" in status.stdout.lower()
    assert "Traceback" not in status.stdout + status.stderr

    rejects = etl("rejects", "--db", str(db))
    assert rejects.returncode == 0, rejects.stderr
    assert rejects.stdout.splitlines() == ["load_id,file,source,row,reason,raw,status"]


def test_status_honours_hotspots_db(db):
    assert etl("init", env_db=db).returncode == 0
    assert db.exists()
    result = etl("status", env_db=db)
    assert result.returncode == 0, result.stderr
    assert "empty" in result.stdout.lower()


def test_status_without_a_warehouse_is_one_clear_line(db):
    result = etl("status", "--db", str(db))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "no warehouse" in lines[0] and not db.exists()


def test_loading_a_missing_file_is_one_error_line(db):
    result = etl("load", "hmo", "/nonexistent.csv", "--db", str(db))
    assert result.returncode != 0
    combined = result.stdout + result.stderr
    assert "Traceback" not in combined
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    assert "nonexistent.csv" in lines[0]


def test_unknown_kind_is_rejected_without_a_traceback(db, tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("a,b\n1,2\n")
    result = etl("load", "victims", str(f), "--db", str(db))
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert "victims" in result.stderr
