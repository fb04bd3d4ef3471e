"""The command line's audit rows: loads refused before any file is read, `rejects --out` and the exports with
their --accounts, and removals and retention whose audit row fails after the data is gone (the message must
say the data was removed, never that nothing changed)."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from access.store import Store
from etl.cli import main
from etl.loading import load_file
from tests.helpers import query, scalar, write_text

OLD, NEW = (dt.date.today() - dt.timedelta(days=365 * 3 + 5)).isoformat(), dt.date.today().isoformat()
REPORTS = ("Report Ref,Date Received,Address,Postcode,Latitude,Longitude,Indicators\n"
           f'R-1,{OLD},"1 Old Road, Wisbech",PE13 2ZZ,52.6641,0.1597,mattresses on floors\n'
           f'R-2,{NEW},"12 High Street, Wisbech",PE13 1AA,52.6645,0.1601,curtains always drawn\n'
           'R-3,not a date,"4 Quay Way, Wisbech",PE13 2ZZ,,,\n')
HMO = ("Licence Number,Address,Postcode,Latitude,Longitude,Maximum Occupants,Licence Start Date,Licence Expiry Date\n"
       '"L-1","12 High Street, Wisbech",PE13 1AA,52.6645,0.1601,5,01/04/2024,31/03/2029\n')


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", "ab" * 32)
    monkeypatch.delenv("HOTSPOTS_ACCOUNTS", raising=False)
    db = tmp_path / "w.duckdb"
    load_file("reports", write_text(tmp_path / "reports.csv", REPORTS), db=db, source="Police")
    return db


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def log(accounts: Path, action: str | None = None) -> list[dict]:
    return [{**r, "detail": json.loads(r["detail"])} for r in reversed(Store(accounts).audit_rows(action=action))]


def audit_fails(monkeypatch, action: str) -> None:
    """The audit log takes the check made before the change but refuses the row written after it (a full disk)."""
    real = Store.audit

    def audit(self, actor, act, *args, **kwargs):
        if act == action:
            raise sqlite3.OperationalError("disk I/O error")
        return real(self, actor, act, *args, **kwargs)

    monkeypatch.setattr(Store, "audit", audit)


# --- 3. a change made whose audit row fails ------------------------------------------------------------------

def test_a_removal_whose_audit_row_fails_says_the_data_was_removed_and_exits_non_zero(db, tmp_path, monkeypatch):
    audit_fails(monkeypatch, "remove_source")
    r = run("remove", "reports", "Police", "--yes", "--db", str(db))
    assert r.exit_code == 2
    assert "removed 2 reports row(s) of source 'Police'" in r.stdout
    assert r.stderr.startswith("error: the reports rows of source 'Police' were removed, but its audit record "
                               f"could not be written to the audit log {tmp_path / 'hotspots-accounts.db'} "
                               "(OperationalError: disk I/O error): the change stands")
    assert "nothing was changed" not in r.output
    assert scalar(db, "SELECT count(*) FROM reports") == 0


def test_a_retention_run_whose_audit_row_fails_says_what_it_deleted_and_exits_non_zero(db, monkeypatch):
    audit_fails(monkeypatch, "retention")
    r = run("retention", "--older-than", "3", "--db", str(db))
    assert r.exit_code == 2
    assert r.stderr.startswith("error: deleted 1 report(s), 0 case(s) and 0 rejected row(s) from before ")
    assert "but its audit record could not be written" in r.stderr and "the change stands" in r.stderr
    assert "nothing was changed" not in r.output
    assert query(db, "SELECT report_ref FROM reports") == [("R-2",)]


@pytest.mark.parametrize("command", [("remove", "reports", "Police", "--yes"), ("retention", "--older-than", "3")])
def test_an_audit_log_that_cannot_be_written_refuses_the_deletion_before_it_is_made(db, tmp_path, command):
    broken = write_text(tmp_path / "broken.db", "garbage " * 300)
    r = run(*command, "--db", str(db), "--accounts", str(broken))
    assert r.exit_code == 2 and f"the audit log {broken} can't be written" in r.stderr
    assert "nothing was removed" in r.stderr or "nothing was deleted" in r.stderr
    assert scalar(db, "SELECT count(*) FROM reports") == 2


# --- 4. loads refused before any file is read ----------------------------------------------------------------

def test_loads_refused_by_their_options_are_audited_with_the_reason(tmp_path):
    folder = tmp_path / "Jane Smith"                # a folder can name a person: the audit keeps file names only
    folder.mkdir()
    one, two = write_text(folder / "a.csv", HMO), write_text(folder / "b.csv", HMO)
    write_text(folder / "c d.csv", HMO)
    db, accounts = tmp_path / "w.duckdb", tmp_path / "acc.db"
    common = ("--db", str(db), "--accounts", str(accounts))
    cases = [
        (("visits", str(one), "--whole-register"), ["a.csv"], "--whole-register is for HMO registers only"),
        (("hmo", str(one), str(two), "--source", "Fenland"), ["a.csv", "b.csv"],
         "each hmo file replaces what its source loaded before"),
        (("hmo", str(folder / "c"), "d.csv"), ["c d.csv"], "a path with spaces was not in quotes"),
    ]
    for args, files, reason in cases:
        before = len(log(accounts)) if accounts.exists() else 0
        r = run("load", *args, *common)
        assert r.exit_code == 2, r.output
        rows = log(accounts)[before:]
        assert [(e["action"], e["detail"]["file"]) for e in rows] == [("load_failed", f) for f in files], args
        assert all(e["detail"]["reason"].startswith(reason) and e["detail"]["load_id"] is None and e["rows"] == 0
                   and e["actor"].startswith("cli") for e in rows)
    assert "Jane" not in json.dumps(Store(accounts).audit_rows())
    assert not db.exists()                          # nothing was read, nothing loaded


@pytest.mark.parametrize("kind", ["hmo", "visits"])
def test_a_missing_file_or_mapping_file_is_audited_with_the_reason_and_no_folder(tmp_path, kind):
    folder = tmp_path / "Jane Smith"
    folder.mkdir()
    present = write_text(folder / "a.csv", HMO)
    db, accounts = tmp_path / "w.duckdb", tmp_path / "acc.db"
    r = run("load", kind, str(folder / "gone.csv"), "--db", str(db), "--accounts", str(accounts))
    assert r.exit_code == 2
    r = run("load", kind, str(present), "--mapping", str(folder / "map.toml"), "--db", str(db),
            "--accounts", str(accounts))
    assert r.exit_code == 2 and "map.toml: the mapping file does not exist" in r.stderr
    assert [(e["action"], e["detail"]["file"], e["detail"]["reason"]) for e in log(accounts)] == [
        ("load_failed", "gone.csv", "gone.csv: no such file"),
        ("load_failed", "a.csv", "map.toml: the mapping file does not exist")]
    assert "Jane" not in json.dumps(Store(accounts).audit_rows())


def test_a_failed_load_with_a_load_id_keeps_its_reason_in_the_warehouse_not_the_audit_row(tmp_path):
    bad = write_text(tmp_path / "notes.csv", "nothing,here\n1,2\n")
    accounts, db = tmp_path / "acc.db", tmp_path / "w.duckdb"
    assert run("load", "reports", str(bad), "--db", str(db), "--accounts", str(accounts)).exit_code == 2
    (entry,) = log(accounts)
    assert entry["detail"]["load_id"] is not None and "reason" not in entry["detail"]
    assert "no recognised reports headers" in scalar(db, "SELECT message FROM loads")



def test_a_file_whose_every_row_is_rejected_is_audited_with_its_load_id_and_rejected_rows(tmp_path):
    """It fails whole, but its rejects are kept under the failed load's id: the audit row counts them."""
    header, _, _, bad_row = REPORTS.splitlines(keepends=True)
    bad = write_text(tmp_path / "bad.csv", header + bad_row + bad_row.replace("R-3", "R-4"))
    good = write_text(tmp_path / "good.csv", REPORTS)
    accounts, db = tmp_path / "acc.db", tmp_path / "w.duckdb"
    r = run("load", "reports", str(good), str(bad), "--db", str(db), "--accounts", str(accounts))
    assert r.exit_code == 2 and "bad.csv: all 2 rows were rejected" in r.stderr
    loaded, failed = log(accounts)
    failed_id = scalar(db, "SELECT load_id FROM loads WHERE status = 'failed'")
    assert failed["action"] == "load_failed" and failed["detail"]["file"] == "bad.csv" and failed["rows"] == 0
    assert failed["detail"]["load_id"] == failed_id and "reason" not in failed["detail"]
    assert failed["detail"]["rows_rejected"] == 2 == scalar(db, "SELECT count(*) FROM rejects WHERE load_id = ?",
                                                            [failed_id])
    assert loaded["action"] == "load" and loaded["detail"]["rows_rejected"] == 1     # the other file's, as before


# --- 5. the audit's words, and rejects --out -----------------------------------------------------------------

def test_the_audit_command_and_the_store_say_that_loads_are_audited():
    import access.store

    assert "loaded or refused" in " ".join(run("audit", "--help").stdout.split())
    assert "every file loaded or refused" in " ".join(access.store.__doc__.split())


def test_rejects_out_takes_accounts_and_is_audited_there_as_an_export(db, tmp_path):
    out, accounts = tmp_path / "rejects.csv", tmp_path / "elsewhere.db"
    r = run("rejects", "--out", str(out), "--db", str(db), "--accounts", str(accounts))
    assert r.exit_code == 0, r.output
    (entry,) = log(accounts, "export")
    assert entry["target"] == str(out) and entry["rows"] == 1 and entry["actor"].startswith("cli")
    assert entry["detail"] == {"command": "rejects", "load_id": None, "all": False, "format": "csv"}
    assert not (tmp_path / "hotspots-accounts.db").exists()     # not the store beside the warehouse
    assert "--accounts" in run("rejects", "--help").stdout


def test_rejects_out_with_an_audit_log_that_cannot_be_written_leaves_no_file(db, tmp_path, monkeypatch):
    out, broken = tmp_path / "rejects.csv", write_text(tmp_path / "broken.db", "garbage " * 300)
    r = run("rejects", "--out", str(out), "--db", str(db), "--accounts", str(broken))
    assert r.exit_code == 2 and f"nothing was written to {out}" in r.stderr and not out.exists()
    audit_fails(monkeypatch, "export")             # the check passes, the row after the file fails
    r = run("rejects", "--out", str(out), "--db", str(db))
    assert r.exit_code == 2 and f"so {out} was deleted again: nothing was exported" in r.stderr
    assert not out.exists()


def test_an_export_takes_accounts_and_is_audited_there(db, tmp_path):
    out, accounts = tmp_path / "cells.csv", tmp_path / "elsewhere.db"
    r = run("export", "hotspots", "--out", str(out), "--db", str(db), "--accounts", str(accounts))
    assert r.exit_code == 0, r.output
    (entry,) = log(accounts, "export")
    assert entry["detail"]["command"] == "export hotspots" and entry["target"] == str(out)
