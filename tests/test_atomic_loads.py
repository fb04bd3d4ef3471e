"""A load lands completely or not at all, even when it fails or is killed part-way."""
from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import textwrap

import pytest

from etl.loaders import tabular
from etl.loading import load_file
from etl.warehouse import Warehouse
from tests.helpers import query, scalar, write_text

GOOD = "Licence Number,Address,Max Occupants\nL1,1 A St PE13 1AB,5\nL2,2 A St PE13 1AB,6\n"
NEXT = "Licence Number,Address,Max Occupants\nL1,1 A St PE13 1AB,5\nL3,3 A St PE13 1AB,9\n"


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_failure_after_rows_were_written_changes_nothing(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    load_file("hmo", write_text(tmp_path / "a.csv", GOOD), db=db, source="Fenland")
    before = _digest(db)

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    real_geocode = tabular.accepted_and_geocoded

    def geocode_then_fail(con, summary, key):
        real_geocode(con, summary, key)
        con.execute("DELETE FROM hmo_licence_history")  # a half-done change that must not survive
        explode()

    monkeypatch.setattr(tabular, "accepted_and_geocoded", geocode_then_fail)
    with pytest.raises(RuntimeError):
        load_file("hmo", write_text(tmp_path / "b.csv", NEXT), db=db, source="Fenland")
    # the data is as before; only the failed attempt was recorded, in a transaction of its own
    assert query(db, "SELECT licence_ref FROM hmo_licences ORDER BY 1") == [("L1",), ("L2",)]
    assert before != _digest(db)  # the failed attempt itself is recorded...
    assert query(db, "SELECT status FROM loads ORDER BY load_id") == [("loaded",), ("failed",)]
    assert not list(tmp_path.glob("w.duckdb.next-*"))


KILLER = textwrap.dedent("""
    import os, signal, sys
    from etl.loaders import tabular
    from etl.loading import load_file
    real = tabular.upsert_by_reference if {stage!r} == 'upsert' else tabular.accepted_and_geocoded
    def killed(*args, **kwargs):
        real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
    setattr(tabular, 'upsert_by_reference' if {stage!r} == 'upsert' else 'accepted_and_geocoded', killed)
    load_file({kind!r}, sys.argv[1], db=sys.argv[2], source='S')
""")


@pytest.mark.parametrize("kind,stage,text", [
    ("hmo", "geocode", NEXT),
    ("reports", "upsert", "Reference,Date,Address\nR1,2025-01-01,1 A St PE13 1AB\n"),
])
def test_sigkill_mid_load_leaves_the_previous_warehouse(tmp_path, kind, stage, text):
    db = tmp_path / "w.duckdb"
    load_file("hmo", write_text(tmp_path / "a.csv", GOOD), db=db, source="S")
    before = _digest(db)
    f = write_text(tmp_path / "b.csv", text)
    proc = subprocess.run([sys.executable, "-c", KILLER.format(kind=kind, stage=stage), str(f), str(db)],
                          capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert _digest(db) == before
    assert scalar(db, "SELECT count(*) FROM hmo_licences") == 2
    # the next writer clears the killed writer's copy and works normally
    load_file("hmo", write_text(tmp_path / "c.csv", NEXT), db=db, source="S")
    assert not list(tmp_path.glob("w.duckdb.next-*"))


def test_readers_keep_working_while_a_load_swaps_the_file(tmp_path):
    db = tmp_path / "w.duckdb"
    load_file("hmo", write_text(tmp_path / "a.csv", GOOD), db=db)
    reader = Warehouse(db).connect_read_only()
    load_file("hmo", write_text(tmp_path / "b.csv", NEXT), db=db, source="other")
    assert reader.execute("SELECT count(*) FROM hmo_licences").fetchone()[0] == 2  # the old snapshot
    reader.close()
    assert scalar(db, "SELECT count(*) FROM hmo_licences") == 4  # a fresh reader sees the new one


def test_a_killed_writers_spill_folder_is_cleared_by_the_next_load(tmp_path):
    """A writer killed in a big load leaves its copy and the folder DuckDB spilled to (`<copy>.tmp/`): the
    next load must clear both, not fail on the folder."""
    db = tmp_path / "w.duckdb"
    load_file("hmo", write_text(tmp_path / "a.csv", GOOD), db=db, source="Fenland")
    stray = tmp_path / "w.duckdb.next-99999"
    stray.write_bytes(b"half a copy")
    (tmp_path / "w.duckdb.next-99999.tmp").mkdir()
    (tmp_path / "w.duckdb.next-99999.tmp" / "duckdb_temp_storage-0.tmp").write_bytes(b"spilled")
    summary = load_file("hmo", write_text(tmp_path / "b.csv", NEXT), db=db, source="Fenland")
    assert summary.status == "loaded"
    assert not list(tmp_path.glob("w.duckdb.next-*"))
