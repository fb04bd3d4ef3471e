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
