"""`etl remove KIND SOURCE`: a wrongly loaded source comes out whole, with what only its rows held, and nothing else."""
from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from click.testing import CliRunner

from access.store import Store
from etl import removal
from etl.cli import main
from etl.errors import LoadError
from etl.loading import load_file
from tests.helpers import query, scalar

DAY = (dt.date.today() - dt.timedelta(days=3)).isoformat()
HEADER = "Report Ref,Date Received,Address,Postcode,Latitude,Longitude,Indicators,Nationalities\n"
RIGHT = HEADER + (
    f'R-1,{DAY},"12 High Street, Wisbech",PE13 1AA,52.6645,0.1601,mattresses on floors,Polish\n'
    f'R-2,{DAY},"1 Old Road, Wisbech",PE13 2ZZ,52.6641,0.1597,curtains always drawn,Polish\n')
# Loaded under the wrong --source: one address and one nationality no other report has, and a rejected row.
WRONG = HEADER + (
    f'W-1,{DAY},"3 Quay Way, Wisbech",PE13 2ZZ,52.6641,0.1597,mattresses on floors,Eritrean\n'
    f'W-2,{DAY},"12 High Street, Wisbech",PE13 1AA,52.6645,0.1601,,Polish\n'
    'W-3,not a date,"4 Quay Way, Wisbech",PE13 2ZZ,,,,\n')
HMO = ("Licence Number,Address,Postcode,Latitude,Longitude,Maximum Occupants,Licence Start Date,Licence Expiry Date\n"
       '"L-1","12 High Street, Wisbech",PE13 1AA,52.6645,0.1601,5,01/04/2024,31/03/2029\n')


@pytest.fixture
def db(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", "ab" * 32)
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    monkeypatch.delenv("HOTSPOTS_ACCOUNTS", raising=False)
    for name, text in (("right.csv", RIGHT), ("wrong.csv", WRONG), ("hmo.csv", HMO)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    load_file("reports", tmp_path / "right.csv", db=db, source="Police intelligence")
    load_file("reports", tmp_path / "wrong.csv", db=db, source="Polce intelligence")   # the misspelt source
    load_file("hmo", tmp_path / "hmo.csv", db=db, source="Fenland District Council")
    load_file("hmo", tmp_path / "hmo.csv", db=db, source="Fenland DC")                  # the same register, twice
    return db


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_a_reports_source_comes_out_with_what_only_it_held(db, tmp_path):
    assert scalar(db, "SELECT count(*) FROM rejects") == 1
    done = removal.remove("reports", "Polce intelligence", db)
    assert (done.rows, done.loads, done.rejects, done.addresses) == (2, 1, 1, 1)
    assert query(db, "SELECT report_ref FROM reports ORDER BY 1") == [("R-1",), ("R-2",)]
    assert scalar(db, "SELECT count(*) FROM rejects") == 0            # the wrong file's raw cells too
    assert scalar(db, "SELECT count(*) FROM addresses WHERE addr_key LIKE '%QUAY%'") == 0
    assert scalar(db, "SELECT count(*) FROM addresses") == 2           # 12 High Street stays: R-1 names it
    assert scalar(db, "SELECT count(*) FROM address_matches m ANTI JOIN addresses a ON a.addr_id = m.addr_id") == 0
    assert query(db, "SELECT value FROM filter_values WHERE kind = 'nationality'") == [("Polish",)]
    assert query(db, "SELECT status FROM loads WHERE source = 'Polce intelligence'") == [("removed",)]
    assert query(db, "SELECT DISTINCT status FROM loads WHERE source = 'Police intelligence'") == [("loaded",)]
    # Loaded again (under the right name, or the same), the same file is loaded afresh, not "already loaded".
    again = load_file("reports", tmp_path / "wrong.csv", db=db, source="Polce intelligence")
    assert again.status == "loaded" and again.rows_loaded == 2


def test_a_register_loaded_under_a_second_name_comes_out_and_its_matches_with_it(db):
    assert query(db, "SELECT DISTINCT licence_source FROM address_matches ORDER BY 1") in (
        [("Fenland DC",)], [("Fenland District Council",)])
    removal.remove("hmo", "Fenland DC", db)
    assert query(db, "SELECT DISTINCT source FROM hmo_licences") == [("Fenland District Council",)]
    assert query(db, "SELECT DISTINCT licence_source FROM address_matches") == [("Fenland District Council",)]
    removal.remove("hmo", "Fenland District Council", db)
    assert scalar(db, "SELECT count(*) FROM hmo_licence_history") == 0
    assert scalar(db, "SELECT count(*) FROM address_matches") == 0


def test_an_unknown_source_names_the_sources_there_and_changes_nothing(db):
    before = os.stat(db).st_mtime_ns
    with pytest.raises(LoadError, match=r"no reports source 'Police Intelligence'.*'Police intelligence'"):
        removal.held("reports", "Police Intelligence", db)
    with pytest.raises(LoadError, match="no cases source 'x': the warehouse holds no cases at all"):
        removal.remove("cases", "x", db)
    with pytest.raises(LoadError, match="no boundaries source 'ONS': the warehouse holds no boundaries at all"):
        removal.remove("boundaries", "ONS", db)
    assert os.stat(db).st_mtime_ns == before
    assert scalar(db, "SELECT count(*) FROM reports") == 4


def test_a_name_only_an_already_loaded_file_was_given_is_no_source(db, tmp_path):
    """The same file under another --source is "already loaded" (its rows stay the first source's); remove
    took that name for a source of 0 rows and audited removing it."""
    again = load_file("reports", tmp_path / "right.csv", db=db, source="Police intel")
    assert again.status == "already_loaded"
    with pytest.raises(LoadError, match="no reports source 'Police intel' in the warehouse"):
        removal.held("reports", "Police intel", db)
    assert removal.held("reports", "Police intelligence", db) == (2, 1)


def test_the_command_asks_first_says_what_it_removed_and_is_audited(db):
    r = run("remove", "reports", "Polce intelligence", input="n\n")
    assert r.exit_code == 1 and "remove 2 reports row(s) of source 'Polce intelligence', from 1 load(s)?" in r.output
    assert scalar(db, "SELECT count(*) FROM reports") == 4
    r = run("remove", "reports", "Polce intelligence", "--yes")
    assert r.exit_code == 0, r.output
    assert ("removed 2 reports row(s) of source 'Polce intelligence', the 1 rejected row(s) of its 1 load(s) "
            "(now listed as removed), and 1 address(es) only those reports named") in r.output
    (row,) = Store(None, db).audit_rows(action="remove_source")
    assert row["target"] == "Polce intelligence" and row["rows"] == 2 and json.loads(row["detail"])["kind"] == "reports"
    r = run("remove", "reports", "Polce intelligence", "--yes")
    assert r.exit_code == 2 and "no reports source 'Polce intelligence'" in r.output
    r = run("remove", "postcodes", "x", "--yes")
    assert r.exit_code == 2 and "no postcodes source 'x'" in r.output
