"""`etl status` and the Audit page give their times in UK time (BST in summer), labelled, as the Data page does.

A tactical lead comparing the Data page, `etl status` and the Audit page saw three clocks: the pages' UK time, the
ETL machine's local clock (a server on UTC showed a July load an hour early) and UTC. Loads are stamped with the
machine's local clock, zone unsaid; the audit log is stamped in UTC: each is converted from what it is. The Audit
page's "Since" date counts from midnight UK time, so an event at 00:30 BST on 1 September (23:30 UTC on 31 August)
is listed from 1 September, as its shown time says.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from etl.loading import load_file
from etl.warehouse import Warehouse
from tests.analysis_fixtures import POSTCODES
from tests.helpers import write_text

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
SUMMER = dt.datetime(2026, 7, 15, 12, 0)    # a load stamped by a machine on UTC: 13:00 BST
PASSWORD = "admin-password-1"


@pytest.fixture
def summer_load(tmp_path) -> Path:
    db = tmp_path / "w.duckdb"
    load_file("postcodes", write_text(tmp_path / "pc.csv", POSTCODES), db=db, source="Lookup")
    with Warehouse(db).transaction() as con:
        con.execute("UPDATE loads SET started_at = ?, finished_at = ?", [SUMMER, SUMMER])
    return db


# --- etl status ------------------------------------------------------------------------------------------------

def test_etl_status_gives_a_july_load_on_a_utc_machine_in_bst_and_says_so(summer_load, machine_on):
    from etl.cli import main

    machine_on("UTC")
    result = CliRunner().invoke(main, ["status", "--db", str(summer_load)])
    assert result.exit_code == 0, result.output
    header, lookup = result.output.splitlines()[:2]
    assert "last load (UK time)" in header
    assert "2026-07-15 13:00" in lookup and "2026-07-15 12:00" not in lookup


def test_etl_status_on_a_machine_kept_on_uk_time_is_not_moved_again(summer_load, machine_on):
    from etl.admin import status_rows

    machine_on("Europe/London")
    assert status_rows(summer_load)[0].last_load == "2026-07-15 12:00"


def test_etl_and_the_data_page_share_one_conversion(machine_on):
    """The Data page's names still import, and give what `etl status` gives."""
    from analysis.data_health import uk_time, uk_times
    from etl.uk_time import local_to_uk

    machine_on("UTC")
    assert uk_time(SUMMER) == local_to_uk(SUMMER) == dt.datetime(2026, 7, 15, 13, 0)
    assert uk_times(pd.Series([SUMMER, None])).iloc[0] == dt.datetime(2026, 7, 15, 13, 0)


def test_audit_stamps_are_read_as_utc_whatever_the_machine_clock(machine_on):
    from etl.uk_time import uk_day_start, utc_to_uk

    machine_on("America/New_York")
    assert utc_to_uk("2026-07-15T12:00:00+00:00") == dt.datetime(2026, 7, 15, 13, 0)
    assert utc_to_uk(dt.datetime(2026, 8, 31, 23, 30)) == dt.datetime(2026, 9, 1, 0, 30)   # no offset: UTC
    assert utc_to_uk("2026-01-15T12:00:00+00:00") == dt.datetime(2026, 1, 15, 12, 0)
    assert uk_day_start(dt.date(2026, 9, 1)) == dt.datetime(2026, 8, 31, 23, 0, tzinfo=dt.timezone.utc)


# --- the Audit page --------------------------------------------------------------------------------------------

def _audit_page(tmp_path, monkeypatch, events: dict[str, dt.datetime]):
    """Signed in as an admin (the role the Audit page is for), on the Audit page, with `events` (target: UTC time)
    in the log."""
    from streamlit.testing.v1 import AppTest
    from streamlit.util import calc_hash

    from access.store import Store

    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "accounts.db"))
    monkeypatch.setenv("HOTSPOTS_DB", str(tmp_path / "missing.duckdb"))    # pages say "no warehouse": fast
    Store().add("admin1", "admin", PASSWORD)
    for target, at in events.items():
        Store(clock=lambda at=at: at).audit("admin1", "export", target)
    app = AppTest.from_file(APP, default_timeout=90)
    app.run()
    app._page_hash = calc_hash("audit")
    app.run()
    app.text_input(key="signin_name").input("admin1")
    app.text_input(key="signin_password").input(PASSWORD)
    next(b for b in app.button if b.label == "Sign in").click().run()
    assert not app.exception and app.title[0].value == "Audit log"
    return app


def test_the_audit_page_gives_a_july_event_in_bst_and_says_so(tmp_path, monkeypatch, machine_on):
    machine_on("UTC")
    utc = dt.timezone.utc
    app = _audit_page(tmp_path, monkeypatch, {"july.csv": dt.datetime(2026, 7, 15, 12, 0, tzinfo=utc)})
    app.date_input(key="audit_since").set_value(dt.date(2026, 7, 1)).run()
    log = app.dataframe[0].value.set_index("target")
    assert log.loc["july.csv", "at"] == dt.datetime(2026, 7, 15, 13, 0)
    assert any("UK time" in c.value for c in app.caption)
    assert "UK time" in app.dataframe[0].proto.columns and "UTC)" not in app.dataframe[0].proto.columns


def test_the_audit_page_since_date_counts_from_uk_midnight_as_its_times_are_shown(tmp_path, monkeypatch, machine_on):
    machine_on("UTC")
    utc = dt.timezone.utc
    app = _audit_page(tmp_path, monkeypatch, {"first.csv": dt.datetime(2026, 8, 31, 23, 30, tzinfo=utc),   # 1 Sep BST
                                              "before.csv": dt.datetime(2026, 8, 31, 22, 30, tzinfo=utc)})  # 31 Aug
    app.date_input(key="audit_since").set_value(dt.date(2026, 9, 1)).run()
    log = app.dataframe[0].value.set_index("target")
    assert "first.csv" in log.index and "before.csv" not in log.index
    assert log.loc["first.csv", "at"] == dt.datetime(2026, 9, 1, 0, 30)
