"""The dashboard's shared read-only connections: one per version of the warehouse file, reused across
queries, and a page run pinned to the version it started with even if a load swaps a new file in."""
from __future__ import annotations

import ast
import datetime as dt
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import connection, prefetch
from etl.warehouse import Warehouse
from tests.analysis_fixtures import demo_db  # noqa: F401 - fixture


def _count(db, token=None) -> int:
    with connection.read_only(db, token) as con:
        return con.execute("SELECT count(*) FROM reports").fetchone()[0]


def test_one_connection_per_version_and_pinned_reads_across_a_swap(demo_db, tmp_path):  # noqa: F811
    db = tmp_path / "w.duckdb"
    shutil.copyfile(demo_db, db)
    old = connection.version_token(db)
    before = _count(db, old)
    assert _count(db, old) == before
    versions = connection._READERS._open[str(db)]
    assert list(versions) == [old]                       # reused, not reopened
    first = versions[old].con

    with Warehouse(db).transaction() as con:
        con.execute("DELETE FROM reports WHERE report_ref IN (SELECT report_ref FROM reports LIMIT 10)")
    new = connection.version_token(db)
    assert new != old
    assert _count(db, old) == before                     # a run pinned to the old version still reads it
    assert _count(db, new) == before - 10                # the next run reads the new file
    assert versions[old].con is first
    assert set(versions) == {old, new}

    # Once retired for long enough and unused, the old version's connection is closed.
    versions[old].retired_at -= connection.RETIRE_SECONDS + 1
    assert _count(db, new) == before - 10
    assert set(versions) == {new}
    connection._READERS.close_all()


def test_a_pinned_run_reopens_its_own_version_after_a_swap(demo_db, tmp_path, monkeypatch):  # noqa: F811
    """Even once its shared connection is gone, a run reads the version it pinned (through the open file)."""
    db = tmp_path / "w.duckdb"
    shutil.copyfile(demo_db, db)
    monkeypatch.setenv("HOTSPOTS_DB", str(db))

    def count() -> int:
        with connection.read_only() as con:
            return con.execute("SELECT count(*) FROM reports").fetchone()[0]

    with connection.pinned() as snap:
        before = count()
        with Warehouse(db).transaction() as con:
            con.execute("DELETE FROM reports")
        connection._READERS.close_all()
        assert count() == before and connection.inspect().token == snap.token
    with connection.pinned():
        assert count() == 0
    connection._READERS.close_all()


def test_page_runs_use_the_reports_copy_of_their_own_version(demo_db, tmp_path, monkeypatch):  # noqa: F811
    """The dashboard opens each version through a page run's pinned file descriptor, whose number names
    another file, or none, once the run is over: later runs must still find their version's copy, and a
    load's new version must get its own (and the old one's be dropped)."""
    import time

    from analysis import report_index

    db = tmp_path / "w.duckdb"
    shutil.copyfile(demo_db, db)
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    monkeypatch.setattr(report_index, "_MODE", report_index.BACKGROUND)

    def page_run():
        with connection.pinned(), connection.read_only() as con:
            placed = con.execute("SELECT count(*) FROM reports WHERE addr_id IS NOT NULL").fetchone()[0]
            return report_index.for_connection(con), placed

    def copied():
        deadline = time.monotonic() + 60
        while (got := page_run())[0] is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return got

    first, before = copied()
    assert first is not None and len(first.day) == before
    assert page_run()[0] is first
    with Warehouse(db).transaction() as con:     # as a load: fewer reports, and a newer row in `loads`
        con.execute("DELETE FROM reports WHERE report_ref IN (SELECT report_ref FROM reports LIMIT 10)")
        con.execute("""INSERT INTO loads (load_id, kind, source, file_name, started_at, finished_at, status)
                       SELECT max(load_id) + 1, 'reports', 'Test', 'later.csv', now(), now(), 'loaded' FROM loads""")
    second, after = copied()
    assert second is not first and len(second.day) == after < before
    assert all(index is not first for index in report_index._INDEXES.values())
    connection._READERS.close_all()


# --- QUERIES: a name the pages ask for is a function, or a bug that fails loudly ----------------------------------

def _names_asked_for() -> set[str]:
    """Every query name the dashboard's code passes to `connection.query`, and the prefetch's."""
    names = {name for name, _, _ in prefetch.default_view(dt.date(2026, 1, 1), boundaries=True)}
    for path in (Path(__file__).resolve().parent.parent / "dashboard").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "query"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                names.add(node.args[0].value)
    return names


def test_every_query_the_pages_ask_for_is_a_function():
    asked = _names_asked_for()
    assert "visit_list" in asked and "row_counts" in asked    # the scan finds the pages' calls
    assert asked <= set(connection.QUERIES), asked - set(connection.QUERIES)
    for name in connection.QUERIES:
        assert callable(connection._resolve(name)), name


@pytest.mark.parametrize("entry, error", [
    (None, KeyError),                                               # a name QUERIES lacks
    (("analysis.visits", "visit_lsit"), AttributeError),            # a misspelt function
    (("analysis.no_such_module", "visit_list"), ImportError),       # a misspelt module
])
def test_a_query_that_is_not_there_raises(monkeypatch, entry, error):
    if entry is not None:
        monkeypatch.setitem(connection.QUERIES, "misspelt", entry)
    with pytest.raises(error):
        connection._resolve("misspelt")


def test_a_page_shows_a_query_that_is_not_there_as_an_error_not_as_a_feature_to_come():
    """Through ui.section, as a page runs it: a bug in the dashboard, logged, never "not available yet"."""
    def page():
        from dashboard import connection, ui

        connection.QUERIES["misspelt"] = ("analysis.visits", "visit_lsit")
        try:
            with ui.section("The visit list"):
                connection._resolve("misspelt")
        finally:
            del connection.QUERIES["misspelt"]

    at = AppTest.from_function(page, default_timeout=60).run()
    assert [e.value for e in at.error] == ["The visit list can't be shown because of an error in the dashboard "
                                           "(AttributeError). The details are in the server log."]
    assert not at.info
