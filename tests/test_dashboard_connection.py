"""The dashboard's shared read-only connections: one per version of the warehouse file, reused across
queries, and a page run pinned to the version it started with even if a load swaps a new file in."""
from __future__ import annotations

import shutil

from dashboard import connection
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
