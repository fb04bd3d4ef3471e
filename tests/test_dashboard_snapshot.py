"""One page run reads one version of the warehouse, even when a load swaps in a new file part-way through.

A page asks several questions (the Data page: the sources table, then the row counts). Each opens a
read-only connection; had each opened the file by its name, a load landing between two of them would
put the old file's numbers next to the new file's on one page. dashboard/connection.py pins the
version at the start of the run; these tests land a real load (copy-and-swap) in the middle of a run.
"""
from __future__ import annotations

import datetime as dt
import os

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from etl.loading import load_file
from tests.helpers import scalar, write_text

OLD = "Licence Number,Address,Max Occupants\nL1,1 A St PE13 1AB,5\nL2,2 A St PE13 1AB,6\n"
MORE = "Licence Number,Address,Max Occupants\nM1,3 A St PE13 1AB,5\nM2,4 A St PE13 1AB,6\nM3,5 A St PE13 1AB,7\n"
APP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "dashboard", "app.py")


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    load_file("hmo", write_text(tmp_path / "old.csv", OLD), db=db, source="Fenland")
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    st.cache_data.clear()
    yield db
    st.cache_data.clear()


def _swap(db, tmp_path) -> None:
    """A real load from another source: copy, change, rename over the live file."""
    load_file("hmo", write_text(tmp_path / "more.csv", MORE), db=db, source="Huntingdonshire")


def test_queries_in_one_run_read_the_version_pinned_at_its_start(warehouse, tmp_path):
    from dashboard import connection

    with connection.pinned():
        first = connection.query("row_counts")
        _swap(warehouse, tmp_path)
        assert scalar(warehouse, "SELECT count(*) FROM hmo_licences") == 5  # the live file is the new one
        second = connection.query("row_counts")
        health = connection.query("source_health", today=dt.date.today())
        info = connection.inspect()
    assert first["hmo_licences"] == second["hmo_licences"] == 2
    assert list(health["source"]) == ["Fenland"]
    assert info.rows["hmo_licences"] == 2
    # the next run pins the new file: no restart, and no answer of the old version served for it
    with connection.pinned():
        assert connection.query("row_counts")["hmo_licences"] == 5
        assert sorted(connection.query("source_health", today=dt.date.today())["source"]) == ["Fenland",
                                                                                             "Huntingdonshire"]
        assert connection.inspect().rows["hmo_licences"] == 5


def test_an_answer_is_cached_under_the_version_it_was_computed_from(warehouse, tmp_path):
    """A swap between reading the version and opening the file must not file new data under the old version."""
    from dashboard import connection

    with connection.pinned() as old:
        _swap(warehouse, tmp_path)
        assert connection.query("row_counts")["hmo_licences"] == 2
    with connection.pinned() as new:
        assert new.token != old.token
        assert connection.query("row_counts")["hmo_licences"] == 5
    # the old version's cached answer is still the old one (a run pinned before the swap gets it)
    assert connection._cached("row_counts", str(warehouse), old.token, None, ()) == {
        "hmo_licences": 2, "reports": 0, "cases": 0, "boundaries": 0, "postcodes": 0}


def test_the_pinned_file_is_closed_after_the_run(warehouse):
    from dashboard import connection

    with connection.pinned() as snap:
        connection.query("row_counts")
        assert snap.fd is not None and os.fstat(snap.fd)
    with pytest.raises(OSError):
        os.fstat(snap.fd)
    assert connection._PINNED.get() is None


def test_a_data_page_run_during_a_swap_shows_one_version(warehouse, tmp_path, monkeypatch):
    """The whole app: the load lands right after the page has read its sources table."""
    from access.store import Store
    from analysis import data_health

    accounts = tmp_path / "accounts.db"
    Store(accounts).add("tester", "analyst", "tester-password-1")
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(accounts))
    real = data_health.source_health
    swapped = []

    def health_then_swap(con, today):
        frame = real(con, today)
        if not swapped:
            _swap(warehouse, tmp_path)
            swapped.append(True)
        return frame

    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.text_input(key="signin_name").input("tester")
    at.text_input(key="signin_password").input("tester-password-1")
    at.button[0].click().run()
    monkeypatch.setattr(data_health, "source_health", health_then_swap)
    at.switch_page("views/data.py").run()
    assert not at.exception, at.exception
    assert swapped, "the swap did not happen during the page run"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["HMO licences (latest registers)"] == "2"  # the sources table was read from the old file too
    shown = at.dataframe[0].value
    assert list(shown["source"]) == ["Fenland"] and int(shown["rows"].sum()) == 2
    # the next click picks up the load by itself
    at.switch_page("views/data.py").run()
    assert {m.label: m.value for m in at.metric}["HMO licences (latest registers)"] == "5"
