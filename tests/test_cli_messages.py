"""What an analyst sees at the command line: one clear line on failure, a summary and exit 0 on success."""
from __future__ import annotations

import codecs
import subprocess
import sys

from tests.helpers import query, write_text


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "etl", *args], capture_output=True, text=True, cwd=cwd)


def test_missing_columns_exit_2_with_one_line_naming_them(tmp_path):
    f = write_text(tmp_path / "council.csv", "Ref No,Town\n1,March\n")
    r = run("load", "hmo", str(f), "--db", str(tmp_path / "w.duckdb"))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert lines[0].startswith("error: council.csv:")
    assert "required column(s) missing: property address (address)" in lines[0] and "'Ref No', 'Town'" in lines[0]


def test_wrong_kind_of_file(tmp_path):
    f = tmp_path / "register.csv"
    f.write_bytes(b"%PDF-1.7\n...")
    r = run("load", "hmo", str(f), "--db", str(tmp_path / "w.duckdb"))
    assert r.returncode == 2 and "this is a PDF document" in r.stderr


def test_a_warehouse_that_is_not_one_is_named_and_no_private_copy_is_left(tmp_path):
    db = tmp_path / "w.duckdb"
    db.write_bytes(b"not a database" * 500)
    r = run("load", "hmo", str(write_text(tmp_path / "r.csv", "Licence No,Address\nL1,1 Mill Lane\n")), "--db", str(db))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"the warehouse {db} can't be opened: it is not a DuckDB database, or it is damaged" in r.stderr
    assert ".next-" not in r.stderr and not list(tmp_path.glob("w.duckdb.next-*"))


def test_an_out_file_in_a_folder_that_is_not_there_is_one_line(tmp_path):
    out = tmp_path / "nodir" / "rejects.csv"
    assert run("init", "--db", str(tmp_path / "w.duckdb")).returncode == 0
    r = run("rejects", "--out", str(out), "--db", str(tmp_path / "w.duckdb"))
    assert r.returncode == 2 and r.stderr.strip() == f"error: {out}: the folder {out.parent} does not exist " \
                                                      "(nothing was changed)"


def test_rejected_rows_still_exit_0_and_the_summary_points_to_them(tmp_path):
    f = write_text(tmp_path / "r.csv", "Licence Number,Address,Max Occupants\nL1,1 A St,5\nL2,2 A St,lots\n")
    db = str(tmp_path / "w.duckdb")
    r = run("load", "hmo", str(f), "--db", db, "--source", "Fenland District Council")
    assert r.returncode == 0, r.stderr
    assert "read 2 · loaded 1 · updated 0 · unchanged 0 · rejected 1 · not geocoded 1" in r.stdout
    assert "python -m etl rejects --load 1" in r.stdout
    out = tmp_path / "rejects.csv"
    r = run("rejects", "--load", "1", "--out", str(out), "--db", db)
    assert r.returncode == 0
    text = out.read_text()
    assert "r.csv,Fenland District Council,3,maximum occupants 'lots' is not a whole number" in text
    status = run("status", "--db", db)
    assert "Fenland District Council" in status.stdout and "0 days old" in status.stdout


def test_status_gives_a_feeds_newest_report_as_well_as_its_load(tmp_path):
    f = write_text(tmp_path / "r.csv", "Report Ref,Date Received,Address\nR1,2021-01-01,1 A St\nR2,2020-12-05,2 A St\n")
    db = str(tmp_path / "w.duckdb")
    assert run("load", "reports", str(f), "--db", db, "--source", "police.uk").returncode == 0
    status = run("status", "--db", db).stdout
    assert "0 days old; newest report 2021-01-01 (older than 30 days)" in status


def test_big_loads_show_a_progress_bar(tmp_path):
    rows = "".join(f"L{i},{i} Long Road PE13 1AB\n" for i in range(12_000))
    f = write_text(tmp_path / "big.csv", "Licence Number,Address\n" + rows)
    r = run("load", "hmo", str(f), "--db", str(tmp_path / "w.duckdb"))
    assert r.returncode == 0
    assert "reading big.csv" in r.stderr and "12000 rows" in r.stderr
    assert "loaded 12,000" in r.stdout


def test_several_files_load_one_by_one_and_a_bad_one_changes_nothing_else(tmp_path):
    good = write_text(tmp_path / "jan.csv", "Crime ID,Month,Location,Latitude,Longitude\nC1,2021-01,On or near X,52.2,0.12\n")
    bad = write_text(tmp_path / "notes.csv", "nothing,here\n1,2\n")
    later = write_text(tmp_path / "feb.csv", "Crime ID,Month,Location,Latitude,Longitude\nC2,2021-02,On or near Y,52.2,0.12\n")
    db = str(tmp_path / "w.duckdb")
    r = run("load", "reports", str(good), str(bad), str(later), "--db", db, "--source", "police.uk")
    assert r.returncode == 2
    assert r.stdout.count("Loaded reports from") == 2 and "source: police.uk" in r.stdout
    assert "notes.csv: no recognised reports headers" in r.stderr and "1 of 3 files failed to load" in r.stderr
    assert query(db, "SELECT report_ref FROM reports ORDER BY 1") == [("C1",), ("C2",)]
    r = run("load", "hmo", str(good), str(later), "--db", db, "--source", "One council")
    assert r.returncode == 2 and "can't share one --source" in r.stderr


def test_rejects_of_a_load_that_does_not_exist_is_an_error_saying_what_to_run(tmp_path):
    """A mistyped load id printed an empty CSV and exited 0, like a load that rejected nothing; that load
    says so beside its CSV (standard error), leaving the CSV on standard output whole."""
    db = str(tmp_path / "w.duckdb")
    bad = write_text(tmp_path / "r.csv", "Licence Number,Address,Max Occupants\nL1,1 A St,5\nL2,2 A St,lots\n")
    clean = write_text(tmp_path / "clean.csv", "Licence Number,Address,Max Occupants\nL3,3 A St,4\n")
    assert run("load", "hmo", str(bad), str(clean), "--db", db).returncode == 0
    out = tmp_path / "rejects.csv"
    r = run("rejects", "--load", "999", "--out", str(out), "--db", db)
    assert r.returncode == 2 and r.stdout == "" and not out.exists()
    assert r.stderr.strip() == ("error: no load 999 in the warehouse (the newest is load 2); `python -m etl rejects "
                                "--all` lists every load's rejected rows with their load ids")
    r = run("rejects", "--load", "2", "--db", db)
    assert r.returncode == 0
    assert r.stdout.splitlines() == ["load_id,file,source,row,reason,raw,status"]
    assert r.stderr.strip() == "load 2 rejected no rows"


def test_rejects_written_to_a_file_keep_accents_and_pounds_in_excel(tmp_path):
    """Excel on Windows reads a CSV without a byte-order mark as Windows-1252: 'Šarūnas' and '£50' come out
    garbled. The screen (or a pipe) gets plain UTF-8."""
    db = str(tmp_path / "w.duckdb")
    f = write_text(tmp_path / "r.csv", 'Licence Number,Address,Max Occupants\nL1,"1 Šarūnas Court, rent £50",lots\n'
                                       'L2,2 A St,4\n')   # a file of rejects alone fails whole
    assert run("load", "hmo", str(f), "--db", db).returncode == 0
    out = tmp_path / "rejects.csv"
    assert run("rejects", "--load", "1", "--out", str(out), "--db", db).returncode == 0
    data = out.read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and data.count(codecs.BOM_UTF8) == 1
    assert "1 Šarūnas Court, rent £50" in data.decode("utf-8-sig")
    screen = run("rejects", "--load", "1", "--db", db).stdout
    assert screen.startswith("load_id,file,") and "Šarūnas" in screen


def test_an_unquoted_path_with_spaces_is_named_whole_with_the_quotes_it_needs(tmp_path):
    folder = tmp_path / "My Documents"
    folder.mkdir()
    write_text(folder / "police intel.csv", "Reference,Received,Postcode\nR1,2026-01-01,PE13 1AA\n")
    r = run("load", "reports", *str(folder / "police intel.csv").split(" "), "--db", str(tmp_path / "w.duckdb"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert f'a path with spaces must be in quotes (python -m etl load reports "{folder}/police intel.csv")' in r.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_when_every_file_fails_none_is_said_to_have_loaded(tmp_path):
    r = run("load", "reports", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "--db", str(tmp_path / "w.duckdb"))
    assert r.returncode == 2
    assert "none of the 2 files loaded (each left the warehouse as it was)" in r.stderr
    assert "the others loaded" not in r.stderr
