"""SIGKILL at random points during loads of every kind (issue 6, section 3).

`python -m etl load`-style processes are killed at random moments (delays from a seeded RNG) while
they load postcodes, boundaries, HMO registers, reports and cases into one warehouse, at least
20 times. After every kill the warehouse must:

- open read-only, and read-write (under the writer lock, as a writer would);
- hold every table, with every row's load in `loads`, load ids unique, no failed or half-recorded load;
- hold exactly the data from before the load or exactly the data after it, never a mix: each table
  is fingerprinted (row count and an order-independent hash of every row, timestamps left out), and
  "after" is the same load run without a kill on a copy of the "before" state;
- have its lock free, and no stray copy taken for a running load or for the live file;

and the next load must work and clear the killed writer's copy. A second test kills the writer at
each step of the copy-and-swap itself (after the copy, after the commit, before and after the
rename), where a random delay rarely lands.
"""
from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from analysis.data_health import warehouse_state
from etl.loading import load_file
from etl.warehouse import Warehouse

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
KEY = "cd" * 32
KINDS = ("postcodes", "boundaries", "hmo", "reports", "cases")
SOURCES = {"postcodes": "Demo postcodes", "boundaries": "ONS sample", "hmo": "Cambridge City Council",
           "reports": "Cambridgeshire Constabulary intelligence", "cases": "Victim and Witness Hub"}
TABLES = ("meta", "loads", "rejects", "boundaries", "postcodes", "hmo_licence_history", "reports", "cases",
          "schema_migrations")
WITH_LOAD_ID = ("rejects", "boundaries", "postcodes", "hmo_licence_history", "reports", "cases")
KILLS_PER_KIND = 4  # 20 in all

# A loader process: ready once imported (so a delay measures the load, not Python's start), then one load.
CHILD = textwrap.dedent("""
    import sys, time
    from etl.loading import load_file
    print("ready", flush=True)
    started = time.monotonic()
    load_file(sys.argv[1], sys.argv[2], db=sys.argv[3], source=sys.argv[4])
    print(f"done {time.monotonic() - started:.3f}", flush=True)
""")


def fingerprint(db: Path) -> dict[str, tuple[int, int]]:
    """Check the warehouse is whole, and return per table: rows, and the sum of a hash of every row
    (all columns but the load timestamps). Reading every row also makes DuckDB check every block's checksum."""
    con = Warehouse(db).connect_read_only(retries=1)
    try:
        out = {}
        for table in TABLES:
            columns = [c for c, kind in con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' "
                "AND table_name = ? ORDER BY ordinal_position", [table]).fetchall() if not kind.startswith("TIMESTAMP")]
            assert columns, f"table {table} is missing"
            row = ", ".join(f'"{c}"' for c in columns)
            n, digest = con.execute(f"SELECT count(*), coalesce(sum(hash({row})), 0) FROM {table}").fetchone()
            out[table] = (int(n), int(digest))
        loads, distinct, unfinished = con.execute(
            "SELECT count(*), count(DISTINCT load_id), count(*) FILTER (WHERE status NOT IN ('loaded', "
            "'already_loaded') OR finished_at IS NULL) FROM loads").fetchone()
        assert loads == distinct and unfinished == 0, "a repeated, failed or half-recorded load"
        for table in WITH_LOAD_ID:
            orphans = con.execute(f"SELECT count(*) FROM {table} WHERE load_id IS NULL OR load_id NOT IN "
                                  "(SELECT load_id FROM loads WHERE status = 'loaded')").fetchone()[0]
            assert orphans == 0, f"{table} has rows of no successful load"
        assert con.execute("SELECT count(*) FROM hmo_licence_history WHERE ended_load_id NOT IN "
                           "(SELECT load_id FROM loads)").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM hmo_licences").fetchone()[0] <= out["hmo_licence_history"][0]
        assert con.execute("SELECT count(*) - count(DISTINCT (source, report_ref)) FROM reports").fetchone()[0] == 0, \
            "a report reference stored twice (reports have no primary key: the loader keeps them unique)"
        return out
    finally:
        con.close()


def opens_read_write(db: Path) -> None:
    """Read-write, as a writer opens it: under the writer lock, a change that is rolled back."""
    with Warehouse(db).writer_lock():
        con = duckdb.connect(str(db))
        try:
            con.execute("BEGIN TRANSACTION")
            con.execute("CREATE TABLE crash_probe AS SELECT count(*) AS n FROM loads")
            con.execute("ROLLBACK")
        finally:
            con.close()


def lock_is_free(db: Path) -> bool:
    fd = os.open(f"{db}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def leftovers(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.glob(db.name + ".next-*"))


def _rewrite_csv(source: Path, target: Path, rng: random.Random, encoding: str = "utf-8-sig") -> Path:
    """The same export with a random tenth of its rows left out: new content for every attempt."""
    rows = list(csv.reader(io.StringIO(source.read_text(encoding=encoding), newline="")))
    kept = [rows[0]] + [r for r in rows[1:] if rng.random() > 0.1]
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(kept)
    target.write_text(buffer.getvalue(), encoding=encoding)
    return target


def _rewrite_geojson(source: Path, target: Path, rng: random.Random) -> Path:
    """The boundaries, each nudged by a random few metres: a new boundary file that places rows anew."""
    data = json.loads(source.read_text(encoding="utf-8"))
    for feature in data["features"]:
        dx, dy = rng.uniform(-0.002, 0.002), rng.uniform(-0.002, 0.002)
        feature["geometry"]["coordinates"] = [[[x + dx, y + dy] for x, y in ring]
                                              for ring in feature["geometry"]["coordinates"]]
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A warehouse with every kind loaded once, the demo files of two seeds to vary, and a timing per kind."""
    from etl.demo import generate

    folder = tmp_path_factory.mktemp("crash")
    with pytest.MonkeyPatch.context() as mp:  # never the analyst's own key (conftest's fixture is per test)
        mp.setenv("HOTSPOTS_PSEUDONYM_KEY", KEY)
        mp.setenv("HOTSPOTS_KEY_FILE", str(folder / "pseudonym.key"))
        originals = {}
        for seed in (11, 12):
            files = {f.path.name: f.path for f in generate(folder / f"seed{seed}", seed=seed, scale=1)}
            originals[seed] = {"postcodes": files["postcodes_demo.csv"], "hmo": files["hmo_cambridge.csv"],
                               "reports": files["reports_police_intelligence.csv"],
                               "cases": files["cases_victim_witness_hub.csv"],
                               "boundaries": ROOT / "data" / "samples" / "boundaries_sample.geojson"}
        db = folder / "base.duckdb"
        took = {}
        for kind in KINDS:  # through the same loader process the kills use, timed from its "ready"
            child = _loader(kind, originals[11][kind], db)
            out, err = child.communicate()
            assert child.returncode == 0, err
            took[kind] = float(out.split()[-1])
    return {"db": db, "originals": originals, "took": took}


@pytest.fixture
def setup(base, tmp_path, monkeypatch):
    """A copy of the base warehouse of the test's own."""
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", KEY)
    db = tmp_path / "w.duckdb"
    shutil.copyfile(base["db"], db)
    return {**base, "db": db, "folder": tmp_path}


def _loader(kind: str, path: Path, db: Path) -> subprocess.Popen:
    """A loader process, returned once it has imported everything and is starting its load."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, kind, str(path), str(db), SOURCES[kind]],
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready", child.stderr.read()
    return child


def _variant(setup: dict, kind: str, attempt: int, rng: random.Random) -> Path:
    base = setup["originals"][rng.choice((11, 12))][kind]
    target = setup["folder"] / "attempts" / f"{attempt:03d}-{base.name}"
    target.parent.mkdir(exist_ok=True)
    if kind == "boundaries":
        return _rewrite_geojson(base, target, rng)
    return _rewrite_csv(base, target, rng)


def _reference(db: Path, before: Path, kind: str, path: Path, folder: Path) -> dict:
    """The state after the load: the same load, not killed, on a copy of the state before it."""
    scratch = folder / "reference.duckdb"
    shutil.copyfile(before, scratch)
    load_file(kind, path, db=scratch, source=SOURCES[kind])
    try:
        return fingerprint(scratch)
    finally:
        scratch.unlink()


def test_sigkill_at_random_points_leaves_the_old_or_the_new_warehouse(setup):
    db, folder = setup["db"], setup["folder"]
    rng = random.Random(20261128)
    kills = {kind: 0 for kind in KINDS}
    outcomes = {"old": 0, "new": 0}
    state = fingerprint(db)
    attempt = 0
    while min(kills.values()) < KILLS_PER_KIND:
        assert attempt < 12 * len(KINDS), f"too few loads were still running when killed: {kills}"
        kind = KINDS[attempt % len(KINDS)]
        attempt += 1
        if kills[kind] >= KILLS_PER_KIND:
            continue
        path = _variant(setup, kind, attempt, rng)
        before = folder / "before.duckdb"
        shutil.copyfile(db, before)
        child = _loader(kind, path, db)
        time.sleep(rng.uniform(0.0, 1.15 * setup["took"][kind]))  # anywhere in the load, now and then after it
        child.send_signal(signal.SIGKILL)
        _, err = child.communicate()
        killed = child.returncode == -signal.SIGKILL
        assert killed or child.returncode == 0, err
        kills[kind] += killed
        where = f"attempt {attempt} ({kind}, {'killed' if killed else 'finished'})"

        assert lock_is_free(db), f"{where}: the writer lock is still held"
        opens_read_write(db)
        assert warehouse_state(db) == "ok", f"{where}: a stray copy is taken for a running load"
        now = fingerprint(db)
        if now == state:
            outcomes["old"] += 1
            assert killed, f"{where}: a finished load changed nothing"
            # the next load works on what the killed one left, and clears its copy
            assert load_file(kind, path, db=db, source=SOURCES[kind]).status == "loaded"
            assert not leftovers(db), f"{where}: the next load left {leftovers(db)}"
            after = fingerprint(db)
        else:
            outcomes["new"] += 1
            after = _reference(db, before, kind, path, folder)
            assert now == after, f"{where}: neither the data before the load nor after it: " + ", ".join(
                t for t in TABLES if now[t] != after[t] and now[t] != state[t])
        assert after != state, f"{where}: the load changed nothing, so it proves nothing"
        state = after
    assert sum(kills.values()) >= 20
    assert outcomes["old"] >= 10, outcomes  # most kills landed mid-load, before the swap
    # the last word: a load after all that works and leaves no stray copy
    assert load_file("reports", _variant(setup, "reports", attempt + 1, rng), db=db,
                     source=SOURCES["reports"]).status == "loaded"
    assert fingerprint(db) != state
    opens_read_write(db)
    assert not leftovers(db)


# A writer killed at one exact step of the copy-and-swap (etl/warehouse.py).
STEP_KILLER = textwrap.dedent("""
    import os, shutil, signal, sys
    from etl import warehouse
    from etl.loading import load_file
    step, live = sys.argv[5], sys.argv[3]
    die = lambda: os.kill(os.getpid(), signal.SIGKILL)
    real_copy, real_fsync, real_replace = shutil.copyfile, warehouse._fsync, os.replace

    def copyfile(src, dst, *a, **k):          # the live file copied, nothing changed yet
        real_copy(src, dst, *a, **k)
        if step == "after_copy":
            die()

    def fsync(path):                          # the copy committed, checkpointed and closed
        if step == "after_commit" and ".next-" in str(path):
            die()
        real_fsync(path)

    def replace(src, dst):                    # the rename over the live file, before and after
        if str(dst) == live and step == "before_rename":
            die()
        real_replace(src, dst)
        if str(dst) == live and step == "after_rename":
            die()

    warehouse.shutil.copyfile, warehouse._fsync, warehouse.os.replace = copyfile, fsync, replace
    load_file(sys.argv[1], sys.argv[2], db=live, source=sys.argv[4])
""")


@pytest.mark.parametrize("step,kind,outcome", [
    ("after_copy", "hmo", "old"), ("after_commit", "reports", "old"), ("before_rename", "cases", "old"),
    ("after_rename", "postcodes", "new"),
])
def test_sigkill_at_each_step_of_the_swap(setup, step, kind, outcome):
    db, folder = setup["db"], setup["folder"]
    path = _variant(setup, kind, 1, random.Random(step))
    before = folder / "before.duckdb"
    shutil.copyfile(db, before)
    state = fingerprint(db)
    child = subprocess.Popen([sys.executable, "-c", STEP_KILLER, kind, str(path), str(db), SOURCES[kind], step],
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True)
    _, err = child.communicate()
    assert child.returncode == -signal.SIGKILL, err
    assert lock_is_free(db)
    opens_read_write(db)
    assert warehouse_state(db) == "ok"  # a stray copy is not taken for a load in progress
    after = _reference(db, before, kind, path, folder)
    assert fingerprint(db) == (state if outcome == "old" else after)
    # before the rename the killed writer's copy is left behind, and only that; after it, nothing is
    assert leftovers(db) == ([f"{db.name}.next-{child.pid}"] if outcome == "old" else [])
    summary = load_file(kind, path, db=db, source=SOURCES[kind])  # the next load works, clears the stray copy
    assert not leftovers(db)
    opens_read_write(db)
    now = fingerprint(db)
    if outcome == "old":  # the load the kill interrupted, now complete
        assert summary.status == "loaded" and now == after
    else:  # the killed load had landed: the same file again changes nothing but the record of attempts
        assert summary.status == "already_loaded"
        assert {t: v for t, v in now.items() if t != "loads"} == {t: v for t, v in after.items() if t != "loads"}
        assert now["loads"][0] == after["loads"][0] + 1


def test_a_demo_rebuild_waits_for_a_running_load_before_swapping_in(tmp_path, monkeypatch):
    """`etl demo` swaps its new warehouse in under the writer lock: a load in progress is never overwritten
    by the demo, nor does it rename its own copy over the new demo afterwards."""
    import threading

    from etl.admin import build_demo
    from etl.loading import prepare

    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", KEY)
    db = tmp_path / "demo.duckdb"
    with Warehouse(db).transaction() as con:  # an earlier demo warehouse
        prepare(con)
        con.execute("INSERT INTO meta VALUES ('synthetic', 'true')")
    building = db.with_name(db.name + ".demo-build")
    errors = []

    def rebuild():
        try:
            build_demo(db, seed=5, out=tmp_path / "files")
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    with Warehouse(db).writer_lock():  # a load is running on the live warehouse
        thread = threading.Thread(target=rebuild)
        thread.start()
        deadline = time.monotonic() + 300
        while not (building.exists() and _meta(building).get("demo_seed") == "5"):
            assert thread.is_alive() and time.monotonic() < deadline, errors
            time.sleep(0.2)
        thread.join(timeout=1.0)  # the demo is built; it must now wait for the load
        assert thread.is_alive() and "demo_seed" not in _meta(db)
    thread.join(timeout=120)
    assert not thread.is_alive() and not errors, errors
    assert _meta(db)["demo_seed"] == "5" and not building.exists()


def _meta(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return dict(con.execute("SELECT key, value FROM meta").fetchall())
    except duckdb.Error:
        return {}
    finally:
        con.close()
