"""Data health: per-source freshness and rejects in words, and whether the warehouse can be read now."""
from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import time

from analysis.data_health import COLUMNS, source_health, uk_time, warehouse_state
from etl.warehouse import Warehouse
from tests.analysis_fixtures import TODAY, connect, demo_con, demo_db  # noqa: F401


def test_source_health_on_the_demo(demo_con):
    h = source_health(demo_con, TODAY)
    assert list(h.columns) == COLUMNS
    assert set(h["kind"]) == {"hmo", "reports", "cases", "postcodes", "boundaries"}
    assert h[["kind", "source"]].duplicated().sum() == 0
    assert not h["stale"].any() and h["warning"].isna().all()
    hmo = h.set_index("source").loc["Fenland District Council"]
    assert hmo["rows"] == demo_con.execute("SELECT count(*) FROM hmo_licences WHERE source = ?",
                                           ["Fenland District Council"]).fetchone()[0]
    assert hmo["rejected"] == 3 and hmo["failed_attempts_since"] == 0 and hmo["age_days"] == 0
    reasons = " ".join(h["top_reasons"].dropna())
    assert "'" not in reasons                                   # quoted values stripped, so reasons group
    assert "is not a whole number (1)" in hmo["top_reasons"]
    police = h.set_index("source").loc["Cambridgeshire Constabulary intelligence"]
    assert police["top_reasons"].startswith("date received is not a date (use dd/mm/yyyy or yyyy-mm-dd) (3); ")
    assert police["top_reasons"].count("; ") == 2               # the three most common


def test_old_register_and_failed_attempts_are_warned(tmp_path, demo_db):
    copy = tmp_path / "old.duckdb"
    shutil.copyfile(demo_db, copy)
    long_ago = dt.datetime.combine(TODAY - dt.timedelta(days=430), dt.time(9, 0))
    with Warehouse(copy).transaction() as con:
        con.execute("UPDATE loads SET finished_at = ?, started_at = ? WHERE source = ?",
                    [long_ago, long_ago, "Fenland District Council"])
        con.execute("""
            INSERT INTO loads (load_id, kind, source, file_name, started_at, finished_at, status, message)
            VALUES (nextval('load_id_seq'), 'hmo', 'Fenland District Council', 'fenland_2026.csv', ?, ?, 'failed', 'boom')
        """, [long_ago + dt.timedelta(days=100), long_ago + dt.timedelta(days=100)])
    con = connect(copy)
    try:
        h = source_health(con, TODAY).set_index("source")
    finally:
        con.close()
    fen = h.loc["Fenland District Council"]
    assert fen["age_days"] == 430 and fen["stale"] and fen["failed_attempts_since"] == 1
    assert fen["warning"].startswith("HMO register from Fenland District Council is 14 months old")
    assert "1 later load attempt from Fenland District Council failed" in fen["warning"]
    assert fen["last_load"].to_pydatetime() == uk_time(long_ago)    # stamped by the machine's clock, given in UK time
    assert not h.loc["Cambridge City Council", "stale"]


def test_warehouse_state(tmp_path, demo_db):
    db = tmp_path / "w.duckdb"
    assert warehouse_state(db) == "missing"
    db.write_bytes(b"this is not a warehouse")
    assert warehouse_state(db) == "unreadable"
    shutil.copyfile(demo_db, db)
    assert warehouse_state(db) == "ok"
    assert not (tmp_path / "w.duckdb.lock").exists()            # probing never creates the lock file

    copy = tmp_path / "w.duckdb.next-4242"
    shutil.copyfile(db, copy)
    assert warehouse_state(db) == "ok"                          # a leftover copy, nobody holds the lock
    fd = os.open(tmp_path / "w.duckdb.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)                          # as Warehouse.writer_lock does
        assert warehouse_state(db) == "refreshing"
        old = time.time() - 60
        os.utime(copy, (old, old))                              # a killed writer's copy from before the last swap
        assert warehouse_state(db) == "ok"
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def test_warehouse_state_during_a_demo_build(tmp_path, demo_db):
    db = tmp_path / "w.duckdb"
    shutil.copyfile(demo_db, db)
    (tmp_path / "w.duckdb.demo-build").write_bytes(b"")
    fd = os.open(tmp_path / "w.duckdb.demo-build.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert warehouse_state(db) == "refreshing"
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert warehouse_state(db) == "ok"


def test_a_demo_build_is_seen_where_etl_demo_builds_it(tmp_path, demo_db):
    """`etl demo` loads into `Warehouse.demo_build_path` through that warehouse's own transactions; the banner
    must look there, and under that warehouse's lock, not at a file name of its own."""
    db = tmp_path / "w.duckdb"
    shutil.copyfile(demo_db, db)
    building = Warehouse(Warehouse(db).demo_build_path)
    with building.transaction():                  # as each of build_demo's loads holds it
        assert warehouse_state(db) == "refreshing"
    assert building.exists() and warehouse_state(db) == "ok"



def test_a_feed_loaded_today_whose_newest_report_is_old_is_stale(tmp_path):
    """police.uk's archive, loaded this morning, is no picture of today: the newest record's date counts."""
    from tests.analysis_fixtures import POSTCODES, build_warehouse, day

    reports = ("Report Ref,Date Received,Address,Postcode\n"
               f"R1,{day(-400)},1 Mill Lane,PE13 1AA\nR2,{day(-430)},2 Mill Lane,PE13 1AA\n")
    con = connect(build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": reports}))
    try:
        h = source_health(con, TODAY).set_index("kind")
    finally:
        con.close()
    feed = h.loc["reports"]
    newest = TODAY - dt.timedelta(days=400)
    assert feed["age_days"] == 0 and feed["newest"].date() == newest and feed["stale"]
    assert feed["warning"] == (f"Report data from {feed['source']}: its newest report was received 13 months ago "
                               f"({newest:%d %b %Y})")
    assert not h.loc["postcodes", "stale"] and h["newest"].isna().loc["postcodes"]


def test_a_register_loaded_today_whose_newest_licence_started_long_ago_is_stale(tmp_path):
    """A council issues licences every month: a register whose newest licence started over a year ago is an
    old export, however recently loaded. A register without start dates is judged by its load alone."""
    from tests.analysis_fixtures import POSTCODES, build_warehouse, day

    old = ("Licence Number,Address,Postcode,Licence Start Date,Licence Expiry Date\n"
           f"L1,1 Mill Lane,PE13 1AA,{day(-400)},{day(1400)}\nL2,2 Mill Lane,PE13 1AA,{day(-900)},{day(900)}\n")
    con = connect(build_warehouse(tmp_path / "old", {"postcodes": POSTCODES, "hmo": old}))
    try:
        register = source_health(con, TODAY).set_index("kind").loc["hmo"]
    finally:
        con.close()
    started = TODAY - dt.timedelta(days=400)
    assert register["age_days"] == 0 and register["newest"].date() == started and register["stale"]
    assert register["warning"] == (f"HMO register from {register['source']}: its newest licence was started 13 months "
                                   f"ago ({started:%d %b %Y})")
    current = old.replace(day(-400), day(-20))
    undated = "Licence Number,Address,Postcode\nL1,1 Mill Lane,PE13 1AA\n"
    for name, text in (("current", current), ("undated", undated)):
        con = connect(build_warehouse(tmp_path / name, {"postcodes": POSTCODES, "hmo": text}))
        try:
            register = source_health(con, TODAY).set_index("kind").loc["hmo"]
        finally:
            con.close()
        assert not register["stale"] and register["warning"] is None, name


def test_a_source_of_several_files_says_how_many(tmp_path, monkeypatch):
    """The Data page named only the newest police.uk month: the 2019-08 file loaded before it was nowhere."""
    from etl.loading import load_file
    from tests.analysis_fixtures import POSTCODES, build_warehouse

    db = build_warehouse(tmp_path, {"postcodes": POSTCODES})
    for month in ("2019-08", "2021-01"):
        path = tmp_path / f"{month}.csv"
        path.write_text("Crime ID,Month,Location,Latitude,Longitude\n"
                        f"{month}-1,{month},On or near Parking Area,52.6661,0.1588\n", encoding="utf-8")
        load_file("reports", path, db=db, source="police.uk")
    con = connect(db)
    try:
        row = source_health(con, TODAY).set_index("source").loc["police.uk"]
    finally:
        con.close()
    assert (row["file_name"], row["files"], row["rows"]) == ("2021-01.csv", 2, 2)


def test_not_on_the_map_counts_what_the_map_leaves_out(tmp_path):
    """The Data page said "Not on the map: 0" while the map left out 4 reports flagged as outside the area or with
    swapped coordinates, and sent the reader to the Data page: both now count the same rows."""
    from analysis.filters import Filters
    from analysis.map_layers import reports_off_the_map
    from tests.analysis_fixtures import POSTCODES, build_warehouse, day

    reports = "Report Ref,Date Received,Address,Postcode\n" + "".join(
        f"R{i},{day(-i)},{i} Mill Lane,PE13 1AA\n" for i in range(1, 5))
    db = build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": reports})
    with Warehouse(db).transaction() as con:
        con.execute("UPDATE reports SET location_flag = 'outside_area' WHERE report_ref = 'R1'")
        con.execute("UPDATE reports SET location_flag = 'swapped_lat_lon' WHERE report_ref = 'R2'")
        con.execute("UPDATE reports SET lat = NULL, lon = NULL, geocode_status = 'not_geocoded' "
                    "WHERE report_ref = 'R3'")
    con = connect(db)
    try:
        feed = source_health(con, TODAY).set_index("kind").loc["reports"]
        off = reports_off_the_map(con, Filters(TODAY - dt.timedelta(days=30), TODAY))
    finally:
        con.close()
    assert (feed["not_geocoded"], feed["flagged"]) == (3, 2)
    assert feed["not_geocoded"] == off["no_position"] + off["flagged"]


def test_a_source_with_no_dates_says_so_in_place_of_its_newest_record(tmp_path):
    """Huntingdonshire's register has no licence start dates: its "Newest record" was a blank that read as a
    failure."""
    from analysis.data_health import NO_DATES
    from tests.analysis_fixtures import POSTCODES, build_warehouse, day

    undated = "Licence Number,Address,Postcode\nL1,1 Mill Lane,PE13 1AA\n"
    reports = f"Report Ref,Date Received,Address,Postcode\nR1,{day(-1)},1 Mill Lane,PE13 1AA\n"
    con = connect(build_warehouse(tmp_path, {"postcodes": POSTCODES, "hmo": undated, "reports": reports}))
    try:
        h = source_health(con, TODAY).set_index("kind")
    finally:
        con.close()
    assert h.loc["hmo", "newest_note"] == NO_DATES == "no dates in the file" and h["newest"].isna().loc["hmo"]
    assert h["newest_note"].isna().loc["reports"]               # it has a date to show
    assert h["newest_note"].isna().loc["postcodes"]             # nothing dated to ask for
