"""A file named with DuckDB's glob characters is read as itself, and the files the command line writes from the
warehouse are private, formula-safe and audited, with nothing on the screen acting on the terminal."""
from __future__ import annotations

import stat
import subprocess
import sys

from access.store import Store
from etl.loading import load_file
from tests.helpers import query, write_text

GLOBBED = "reg[1]*?.csv"   # as a pattern it matches the decoys below, not itself


def _with_decoys(tmp_path, header: str, real: str, decoy: str):
    for name in ("reg1.csv", "reg1ab.csv"):
        write_text(tmp_path / name, header + decoy)
    return write_text(tmp_path / GLOBBED, header + real)


def test_a_register_named_with_glob_characters_is_read_and_recorded_as_itself(tmp_path):
    db = tmp_path / "w.duckdb"
    f = _with_decoys(tmp_path, "Licence Number,Address,Postcode\n", "REAL/1,1 High Street March,PE15 8AA\n",
                     "DECOY/1,9 Other Road March,PE15 8AA\n")
    load_file("hmo", f, db=db, source="Fenland")
    assert query(db, "SELECT licence_ref FROM hmo_licences") == [("REAL/1",)]
    assert query(db, "SELECT file_name FROM loads") == [(GLOBBED,)]


def test_a_postcode_lookup_named_with_glob_characters_is_read_as_itself(tmp_path):
    db = tmp_path / "w.duckdb"
    f = _with_decoys(tmp_path, "postcode,latitude,longitude\n", "PE15 8AA,52.55,0.09\n", "CB1 2AB,52.20,0.13\n")
    load_file("postcodes", f, db=db, source="Lookup")
    assert query(db, "SELECT postcode FROM postcodes") == [("PE15 8AA",)]


def run(*args):
    return subprocess.run([sys.executable, "-m", "etl", *args], capture_output=True, text=True)


def _rejected_row(tmp_path):
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "r.csv", "Licence Number,Address,Max Occupants\n"
                   "L1,=HYPERLINK(\"http://evil\"),lots\nL2,2 A St,\x1b]0;owned\x07\x1b[2J many\n"
                   "L3,3 A St,4\n")   # a file of rejects alone fails whole
    assert run("load", "hmo", str(f), "--db", str(db), "--source", "=1+1 Fenland").returncode == 0
    return db


def test_rejects_out_is_private_formula_safe_and_audited(tmp_path):
    db = _rejected_row(tmp_path)
    out = tmp_path / "rejects.csv"
    out.write_text("old")
    out.chmod(0o644)
    r = run("rejects", "--out", str(out), "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    cells = [line.split(",", 5) for line in out.read_text(encoding="utf-8-sig").splitlines()[1:]]
    assert cells and all(not c.startswith(("=", "+", "-", "@")) for row in cells for c in row)
    (entry,) = [e for e in Store(None, str(db)).audit_rows(action="export")]
    assert entry["target"] == str(out) and entry["rows"] == 2 and '"rejects"' in entry["detail"]


def test_rejects_on_the_screen_shows_control_characters_as_escapes(tmp_path):
    r = run("rejects", "--db", str(_rejected_row(tmp_path)))
    assert r.returncode == 0 and "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "'\\x1b]0;owned\\x07\\x1b[2J many' is not a whole number" in r.stdout   # the reason quotes the cell


def test_an_export_is_private(tmp_path):
    db = _rejected_row(tmp_path)
    out = tmp_path / "hot.csv"
    r = run("export", "hotspots", "--out", str(out), "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
