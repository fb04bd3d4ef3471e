"""Stored H3 cells (migration 0002): equal to h3-py's for the same points, in every loaded table,
after a re-geocode, and after backfilling a warehouse made before the columns existed."""
from __future__ import annotations

from pathlib import Path

import h3

from etl import h3cells, migrate
from etl.warehouse import Warehouse
from tests.analysis_fixtures import demo_db  # noqa: F401 - fixture

TABLES = ("reports", "cases", "hmo_licence_history")


ROOT = Path(__file__).resolve().parent.parent


def _check(con, table: str) -> int:
    rows = con.execute(f"SELECT lat, lon, h3_7, h3_8, h3_9 FROM {table}").fetchall()
    placed = 0
    for lat, lon, c7, c8, c9 in rows:
        if lat is None or lon is None:
            assert (c7, c8, c9) == (None, None, None)
            continue
        placed += 1
        want = h3.api.basic_int.latlng_to_cell(lat, lon, 9)
        assert c9 == want
        assert c8 == h3.api.basic_int.latlng_to_cell(lat, lon, 8)
        assert c7 == h3.api.basic_int.latlng_to_cell(lat, lon, 7)
    return placed


def test_loaded_rows_carry_h3_py_cells(demo_db):  # noqa: F811
    con = Warehouse(demo_db).connect_read_only()
    try:
        for table in TABLES:
            assert _check(con, table) > 0, table
    finally:
        con.close()


def test_h3_function_matches_h3_py_and_handles_missing_points():
    import duckdb

    con = duckdb.connect()
    h3cells.register(con)
    rows = con.execute("""
        SELECT lat, lon, h3_latlng_to_cell(lat, lon, 9), h3_latlng_to_cell(lat, lon, 7),
               h3_string(h3_latlng_to_cell(lat, lon, 8))
        FROM (VALUES (52.2, 0.13), (52.57, -0.24), (NULL, 0.1), (52.1, NULL), ('nan'::DOUBLE, 1.0)) t(lat, lon)
    """).fetchall()
    for lat, lon, c9, c7, s8 in rows[:2]:
        assert c9 == h3.api.basic_int.latlng_to_cell(lat, lon, 9)
        assert c7 == h3.api.basic_int.latlng_to_cell(lat, lon, 7)
        assert s8 == h3.latlng_to_cell(lat, lon, 8)
    assert all(r[2] is None and r[3] is None for r in rows[2:])


def test_cells_equal_h3_py_for_many_points_here_and_around_the_world():
    """The loads' cells come from h3ronpy (h3o, a port of H3): point for point what h3-py (H3's C library) gives,
    in the force area, across the globe, near the poles and the antimeridian, and at its pentagons."""
    import duckdb
    import numpy as np

    rng = np.random.default_rng(7)
    here = np.column_stack([rng.uniform(51.9, 52.8, 20_000), rng.uniform(-0.6, 0.6, 20_000)])
    world = np.column_stack([rng.uniform(-90, 90, 20_000), rng.uniform(-180, 180, 20_000)])
    edges = np.array([[89.999, 10.0], [-89.999, -170.0], [0.0, 179.9999], [10.0, -180.0], [0.0, 0.0]])
    pentagons = np.array([h3.cell_to_latlng(p) for p in h3.get_pentagons(9)])
    points = np.vstack([here, world, edges, pentagons])
    con = duckdb.connect()
    h3cells.register(con)
    con.register("pts", {"lat": points[:, 0], "lon": points[:, 1]})
    got = con.execute("SELECT lat, lon, c.h3_7, c.h3_8, c.h3_9 FROM (SELECT lat, lon, h3_cells_of_point(lat, lon) AS c "
                      "FROM pts)").fetchall()
    assert len(got) == len(points)
    wrong = [(lat, lon) for lat, lon, *cells in got
             if cells != [h3.api.basic_int.latlng_to_cell(lat, lon, r) for r in (7, 8, 9)]]
    assert wrong == []


def _old_warehouse(demo_db, tmp_path):  # noqa: F811
    """A copy of the demo taken back to the 0001 schema (no cell columns, address keys or matches; version 1)."""
    import shutil

    import duckdb

    db = tmp_path / "old.duckdb"
    shutil.copyfile(demo_db, db)
    con = duckdb.connect(str(db))
    # Back to the 0001 schema: no cell columns, version 1.
    con.execute("DROP VIEW hmo_licences")
    for table in TABLES:
        for column in h3cells.COLUMNS:
            con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    con.execute("""CREATE VIEW hmo_licences AS
        SELECT licence_ref, address, postcode, uprn, lat, lon, geocode_status, location_flag,
               district_code, lsoa_code, max_occupants, households, storeys, licence_type,
               licence_holder, licence_start, licence_expiry, source, load_id
        FROM hmo_licence_history WHERE ended_load_id IS NULL""")
    con.execute("ALTER TABLE reports DROP COLUMN addr_id")
    con.execute("ALTER TABLE reports DROP COLUMN indicator_bits")
    con.execute("DROP TABLE indicator_bits")
    for table in ("reports", "hmo_licence_history"):
        for column in ("addr_key", "house_no"):
            con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    con.execute("DROP TABLE address_matches")
    con.execute("DROP TABLE addresses")
    con.execute("DROP SEQUENCE addr_id_seq")
    con.execute("DROP TABLE filter_values")
    con.execute("DELETE FROM schema_migrations WHERE version >= 2")
    assert migrate.current_version(con) == 1
    return db, con


def test_the_loads_cells_of_a_point_equal_h3_py_at_each_resolution():
    """`set_cells` rebuilds a working table with the three cells from one struct-valued call per chunk."""
    import duckdb
    import numpy as np

    con = duckdb.connect()
    h3cells.register(con)
    rng = np.random.default_rng(7)
    points = [(float(a), float(b)) for a, b in zip(rng.uniform(51.5, 53.5, 5000), rng.uniform(-1.5, 1.0, 5000))]
    points += [(None, 0.1), (52.1, None), (float("nan"), 1.0), (91.0, 0.0), (0.0, 0.0)]
    con.execute("CREATE TEMP TABLE w (k INTEGER, lat DOUBLE, lon DOUBLE, h3_8 UBIGINT)")
    con.executemany("INSERT INTO w VALUES (?, ?, ?, 0)", [(i, a, b) for i, (a, b) in enumerate(points)])
    h3cells.set_cells(con, "w")
    assert [c for (c,) in con.execute("SELECT column_name FROM (DESCRIBE w)").fetchall()] == \
        ["k", "lat", "lon", "h3_7", "h3_8", "h3_9"]
    for k, h7, h8, h9 in con.execute("SELECT k, h3_7, h3_8, h3_9 FROM w ORDER BY k").fetchall():
        lat, lon = points[k]
        usable = lat is not None and lon is not None and lat == lat and abs(lat) <= 90
        expected = [h3.api.basic_int.latlng_to_cell(lat, lon, r) if usable else None for r in (7, 8, 9)]
        assert [h7, h8, h9] == expected, (lat, lon)


def test_migration_backfills_a_warehouse_made_before_the_cells(demo_db, tmp_path):  # noqa: F811
    db, con = _old_warehouse(demo_db, tmp_path)
    applied = migrate.upgrade(con)
    assert applied == ["0002_h3_cells", "0003_address_keys", "0004_address_matches", "0005_filter_values",
                       "0006_address_ids", "0007_indicator_bits", "0008_reports_unindexed",
                       "0009_addresses_naming_no_place", "0010_addresses_placed_without_postcode",
                                    "0011_street_level_locations_are_no_door", "0012_report_refs_from_stored_values",
                                    "0013_streets_name_no_door_and_match_by_street",
                                    "0014_house_numbers_before_the_street_and_known_streets",
                                    "0015_house_numbers_without_property_details",
                                    "0016_postcode_ends_the_address_and_flat_numbers"]
    assert con.execute("SELECT count(*) FROM address_matches").fetchone()[0] > 0
    assert con.execute("SELECT count(*) FROM reports WHERE (addr_key = '' AND addr_id IS NOT NULL) OR (addr_key <> '' "
                       "AND addr_id IS NULL AND addr_key IN (SELECT addr_key FROM addresses))").fetchone()[0] == 0
    assert con.execute("SELECT count(DISTINCT kind) FROM filter_values").fetchone()[0] == 5
    assert con.execute("SELECT count(*) FROM reports WHERE addr_key IS NULL").fetchone()[0] == 0
    for table in TABLES:
        assert _check(con, table) > 0, table
    assert con.execute("SELECT count(*) FROM hmo_licences WHERE h3_8 IS NOT NULL").fetchone()[0] > 0
    con.close()


def test_regeocoded_rows_get_new_cells(tmp_path):
    """Reports geocoded by outward code move to their full postcode's point when postcodes arrive."""
    from tests.analysis_fixtures import build_warehouse

    from etl.loading import load_file

    db = build_warehouse(tmp_path, {"reports": "Report Ref,Date Received,Address,Postcode\n"
                                               "R1,01/01/2024,1 Mill Lane,PE13 1AA\n"})
    con = Warehouse(db).connect_read_only()
    assert con.execute("SELECT h3_9 FROM reports").fetchone()[0] is None
    con.close()
    pc = tmp_path / "pc.csv"
    pc.write_text("postcode,latitude,longitude,lad_code\nPE13 1AA,52.6650,0.1600,E07000010\n")
    load_file("postcodes", pc, db=db, source="pc")
    con = Warehouse(db).connect_read_only()
    try:
        assert _check(con, "reports") == 1
    finally:
        con.close()


def test_stored_address_keys_equal_the_expressions(demo_db):  # noqa: F811
    """Migration 0003 / the loaders: addr_key and house_no are the matching expressions of the address."""
    from etl import address_keys

    con = Warehouse(demo_db).connect_read_only()
    try:
        for table in ("reports", "hmo_licence_history"):
            key = address_keys.address_key("address")
            bad = con.execute(f"""
                SELECT count(*) FROM {table}
                WHERE addr_key IS DISTINCT FROM {key} OR house_no IS DISTINCT FROM {address_keys.house_number(key)}
            """).fetchone()[0]
            total = con.execute(f"SELECT count(*) FROM {table} WHERE addr_key <> ''").fetchone()[0]
            assert bad == 0 and total > 0, table
    finally:
        con.close()


def test_the_dashboard_asks_for_an_upgrade_of_an_older_warehouse_and_init_gives_it(demo_db, tmp_path,  # noqa: F811
                                                                                   monkeypatch):
    """An analyst who pulls a newer Hotspots gets a plain instruction, not a broken page; `etl init` fixes it."""
    import subprocess
    import sys

    from streamlit.testing.v1 import AppTest

    from access.store import Store

    db, con = _old_warehouse(demo_db, tmp_path)
    con.close()
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "accounts.db"))
    Store().add("lead", "viewer", "viewer-password-1")

    def map_page() -> AppTest:
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
        at.run()
        at.text_input(key="signin_name").input("lead")
        at.text_input(key="signin_password").input("viewer-password-1")
        at.button[0].click().run()
        assert not at.exception, at.exception
        return at

    at = map_page()
    assert any("older version of Hotspots" in w.value and "python -m etl init" in w.value for w in at.warning)
    result = subprocess.run([sys.executable, "-m", "etl", "init", "--db", str(db)], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0 and "0002_h3_cells" in result.stdout, result.stderr
    at = map_page()
    assert not any("older version" in w.value for w in at.warning) and not at.error
