"""`etl load` and `etl demo` write one audit row per file loaded or refused, and a store that can't be
written never fails a load that succeeded (standard error says what the audit log misses)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from access.store import Store
from etl.cli import main
from tests.helpers import query, write_text

JAN = "Crime ID,Month,Location,Latitude,Longitude\nC1,2021-01,On or near X,52.2,0.12\n"
FEB = "Crime ID,Month,Location,Latitude,Longitude\nC2,2021-02,On or near Y,52.2,0.12\nC3,2021-02,On or near Z,52.2,0.12\n"
NOT_REPORTS = "nothing,here\n1,2\n"


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def rows_of(accounts: Path, action: str | None = None) -> list[dict]:
    """Oldest first, with the detail read back from JSON."""
    rows = list(reversed(Store(accounts).audit_rows(action=action)))
    return [{**r, "detail": json.loads(r["detail"])} for r in rows]


def test_each_file_loaded_or_refused_is_one_audit_row_naming_the_file_not_its_folder(tmp_path):
    folder = tmp_path / "Jane Smith's files"      # a folder can name a person: only the file's name is kept
    folder.mkdir()
    jan, bad, feb = (write_text(folder / n, t) for n, t in
                     (("jan.csv", JAN), ("notes.csv", NOT_REPORTS), ("feb.csv", FEB)))
    db, accounts = tmp_path / "w.duckdb", tmp_path / "acc.db"
    r = run("load", "reports", str(jan), str(bad), str(feb), str(folder / "gone.csv"),
            "--db", str(db), "--accounts", str(accounts))
    assert r.exit_code == 2 and "2 of 4 files failed to load" in r.stderr
    log = rows_of(accounts)
    assert [(e["action"], e["target"], e["detail"]["file"], e["rows"]) for e in log] == [
        ("load", "jan", "jan.csv", 1), ("load_failed", "notes", "notes.csv", 0),
        ("load", "feb", "feb.csv", 2), ("load_failed", "gone", "gone.csv", 0)]
    assert all(e["actor"].startswith("cli") for e in log)
    loads = dict(query(db, "SELECT file_name, load_id FROM loads"))
    assert log[0]["detail"] == {"kind": "reports", "file": "jan.csv", "load_id": loads["jan.csv"], "rows_loaded": 1,
                                "rows_rejected": 0, "status": "loaded"}
    assert log[1]["detail"] == {"kind": "reports", "file": "notes.csv", "load_id": loads["notes.csv"],
                                "rows_loaded": 0, "rows_rejected": 0, "status": "failed"}
    assert log[3]["detail"]["load_id"] is None      # a missing file never reaches `loads`
    assert "Jane Smith" not in json.dumps(Store(accounts).audit_rows())


def test_the_source_is_the_target_and_a_repeat_is_audited_as_already_loaded(tmp_path, monkeypatch):
    monkeypatch.delenv("HOTSPOTS_ACCOUNTS", raising=False)      # the store beside the warehouse, as `remove` uses
    f = write_text(tmp_path / "r.csv", "Licence Number,Address,Max Occupants\nL1,1 A St,5\nL2,2 A St,lots\n")
    db = tmp_path / "w.duckdb"
    for _ in range(2):
        r = run("load", "hmo", str(f), "--db", str(db), "--source", "Fenland District Council")
        assert r.exit_code == 0, r.output
    log = rows_of(tmp_path / "hotspots-accounts.db", action="load")
    assert [e["target"] for e in log] == ["Fenland District Council"] * 2
    assert [(e["detail"]["status"], e["detail"]["rows_loaded"], e["detail"]["rows_rejected"]) for e in log] == [
        ("loaded", 1, 1), ("already_loaded", 0, 0)]


def test_a_refused_single_file_is_audited_and_still_fails(tmp_path):
    bad, accounts = write_text(tmp_path / "notes.csv", NOT_REPORTS), tmp_path / "acc.db"
    r = run("load", "reports", str(bad), "--db", str(tmp_path / "w.duckdb"), "--accounts", str(accounts))
    assert r.exit_code == 2 and "error: notes.csv: no recognised reports headers" in r.stderr
    assert [(e["action"], e["detail"]["status"]) for e in rows_of(accounts)] == [("load_failed", "failed")]


@pytest.mark.parametrize("store", ["not a database", "under a file"])
def test_an_account_store_that_cannot_be_written_fails_no_load_and_says_so(tmp_path, store):
    """Tests run as root, whom a read-only folder does not stop: a store that is not SQLite, or whose folder
    is a file, fails to be written the same way for everyone."""
    jan, bad = write_text(tmp_path / "jan.csv", JAN), write_text(tmp_path / "notes.csv", NOT_REPORTS)
    if store == "not a database":
        accounts = write_text(tmp_path / "acc.db", "garbage " * 300)
    else:
        accounts = jan / "acc.db"
    db = tmp_path / "w.duckdb"
    r = run("load", "reports", str(jan), "--db", str(db), "--accounts", str(accounts))
    assert r.exit_code == 0, r.output
    assert "Loaded reports from jan.csv" in r.stdout
    assert query(db, "SELECT report_ref FROM reports") == [("C1",)]
    assert r.stderr.startswith(f"warning: the audit log {accounts} could not be written (")
    assert "it has no row for jan.csv (the loads themselves are as said above)" in r.stderr
    r = run("load", "reports", str(bad), "--db", str(db), "--accounts", str(accounts))
    assert r.exit_code == 2 and "it has no row for notes.csv" in r.stderr and "error: notes.csv:" in r.stderr


def test_the_audit_page_has_words_for_loads():
    from dashboard import labels

    assert labels.audit_action("load").startswith("Loaded a file")
    assert labels.audit_action("load_failed").startswith("A file failed to load")


@pytest.mark.slow
def test_the_demo_audits_each_file_it_loads(tmp_path):
    db, accounts, out = tmp_path / "demo.duckdb", tmp_path / "acc.db", tmp_path / "files"
    r = run("demo", "--db", str(db), "--out", str(out), "--accounts", str(accounts))
    assert r.exit_code == 0, r.output
    log = rows_of(accounts)
    loads = query(db, "SELECT source, file_name, load_id, rows_loaded, rows_rejected FROM loads ORDER BY load_id")
    assert len(loads) > 5
    assert [(e["action"], e["target"], e["detail"]["file"], e["detail"]["load_id"], e["rows"],
             e["detail"]["rows_rejected"]) for e in log] == [("load", s, f, i, n, rej) for s, f, i, n, rej in loads]
    assert {e["detail"]["file"] for e in log} <= {p.name for p in out.iterdir()}


def test_a_demo_whose_loads_cannot_be_read_back_says_the_audit_log_misses_them(tmp_path, monkeypatch):
    from etl import admin
    from etl.cli import load_audit

    monkeypatch.setattr(admin, "build_demo", lambda db, **kw: ["demo warehouse ready"])
    monkeypatch.setattr(load_audit, "loads_since", lambda db, started: None)
    accounts = tmp_path / "acc.db"
    r = run("demo", "--db", str(tmp_path / "demo.duckdb"), "--out", str(tmp_path / "files"), "--accounts", str(accounts))
    assert r.exit_code == 0 and "demo warehouse ready" in r.stdout
    assert "the audit log has no row for them; the demo warehouse is ready" in r.stderr
    assert not accounts.exists() or rows_of(accounts) == []


@pytest.mark.slow
def test_a_demo_that_fails_audits_the_file_that_failed(tmp_path, monkeypatch):
    from etl import loading

    real, broken = loading.load_file, []

    def first_register_broken(kind, path, **kw):
        if kind == "hmo" and not broken:
            broken.append(Path(path).name)
            write_text(Path(path), NOT_REPORTS)
        return real(kind, path, **kw)

    monkeypatch.setattr(loading, "load_file", first_register_broken)
    accounts = tmp_path / "acc.db"
    r = run("demo", "--db", str(tmp_path / "demo.duckdb"), "--out", str(tmp_path / "files"), "--accounts", str(accounts))
    assert r.exit_code == 2 and broken
    log = rows_of(accounts)
    assert [(e["action"], e["detail"]["file"], e["detail"]["status"]) for e in log] == [
        ("load_failed", broken[0], "failed")]
    assert isinstance(log[0]["detail"]["load_id"], int)
