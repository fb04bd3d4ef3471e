"""`etl export` and `etl retention` write audit rows; the warehouse, key and account store are owner-only."""
from __future__ import annotations

import datetime as dt
import json
import os
import stat

import pytest
from click.testing import CliRunner

from access.store import Store
from etl.cli import main
from etl.loading import load_file
from tests.helpers import query, scalar

TODAY = dt.date.today()


@pytest.fixture
def small(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    old = (TODAY - dt.timedelta(days=365 * 3 + 5)).isoformat()
    new = (TODAY - dt.timedelta(days=3)).isoformat()
    reports = tmp_path / "reports.csv"
    reports.write_text(
        "Report Ref,Date Received,Source Type,Address,Postcode,Latitude,Longitude,Indicators,Exploitation Type,"
        "Nationalities,People Seen,Grading,Summary\n"
        f'X-1,{old},Police,"1 Old Road, Wisbech",PE13 2ZZ,52.6641,0.1597,mattresses on floors,Labour,Eritrean,2,1-A-P,old\n'
        f'X-2,{new},Police,"12 High Street, Wisbech",PE13 1AA,52.6645,0.1601,mattresses on floors,Labour,Polish,3,'
        f'1-A-P,new\n', encoding="utf-8")
    hmo = tmp_path / "hmo.csv"
    hmo.write_text(
        "Licence Number,Address,Postcode,Latitude,Longitude,Maximum Occupants,Licence Start Date,Licence Expiry Date\n"
        '"L-1","12 High Street, Wisbech",PE13 1AA,52.6645,0.1601,5,01/04/2024,31/03/2029\n'
        '"L-2","1 Old Road, Wisbech",PE13 2ZZ,52.6641,0.1597,6,01/04/2024,31/03/2029\n', encoding="utf-8")
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", "ab" * 32)
    load_file("reports", reports, db=db, source="Test reports")
    load_file("hmo", hmo, db=db, source="Test council")
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    monkeypatch.delenv("HOTSPOTS_ACCOUNTS", raising=False)
    return db


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_etl_export_is_audited(small, tmp_path):
    out = tmp_path / "plan.csv"
    r = run("export", "priorities", "--out", str(out), "--exploitation", "labour")
    assert r.exit_code == 0, r.output
    (row,) = Store(None, small).audit_rows(action="export")
    detail = json.loads(row["detail"])
    assert row["actor"].startswith("cli") and row["target"] == str(out) and row["rows"] >= 1
    assert detail["command"] == "export priorities" and detail["filters"]["exploitation"] == ["labour"]
    assert detail["format"] == "CSV"
    assert (small.parent / "hotspots-accounts.db").exists()


def test_retention_deletes_old_reports_through_a_transaction_and_is_audited(small):
    assert scalar(small, "SELECT count(*) FROM reports") == 2
    assert scalar(small, "SELECT count(*) FROM address_matches WHERE addr_key LIKE '%OLD ROAD%'") == 1
    r = run("retention", "--older-than", "3")
    assert r.exit_code == 0, r.output
    assert "deleted 1 report(s), 0 case(s)" in r.output and "1 address(es) only those reports named" in r.output
    assert scalar(small, "SELECT count(*) FROM reports") == 1
    # The old report's address goes with it: no table keeps "1 Old Road" once no report names it.
    assert scalar(small, "SELECT count(*) FROM addresses") == 1
    assert scalar(small, "SELECT count(*) FROM addresses WHERE addr_key LIKE '%OLD ROAD%'") == 0
    assert scalar(small, "SELECT count(*) FROM address_matches WHERE addr_key LIKE '%OLD ROAD%'") == 0
    assert scalar(small, "SELECT count(*) FROM address_matches m ANTI JOIN addresses a ON a.addr_id = m.group_id") == 0
    # ... and so does a nationality only it held, from the sidebar's choices.
    assert query(small, "SELECT value FROM filter_values WHERE kind = 'nationality'") == [("Polish",)]
    assert stat.S_IMODE(os.stat(small).st_mode) == 0o600
    (row,) = Store(None, small).audit_rows(action="retention")
    assert row["rows"] == 1 and json.loads(row["detail"])["years"] == 3
    assert run("retention", "--older-than", "0").exit_code == 2


def test_files_and_secrets_are_owner_only(small, tmp_path, monkeypatch):
    from etl.pseudonym import load_key

    monkeypatch.delenv("HOTSPOTS_PSEUDONYM_KEY", raising=False)
    load_key()
    key = tmp_path / "pseudonym.key"  # conftest points HOTSPOTS_KEY_FILE here
    for path in (small, key, Store(None, small).path):
        if path == Store(None, small).path:
            Store(None, small).count()
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
