"""District assignment by H3 cells lying wholly inside a boundary, then point-in-polygon for the rest,
gives exactly what point-in-polygon alone gives, on irregular shapes and points hugging their edges."""
from __future__ import annotations

import json

import duckdb
import numpy as np

from etl import geocode, h3cells, vocab
from etl.warehouse import load_spatial


def test_cell_lookup_agrees_with_point_in_polygon(monkeypatch):
    codes = list(vocab.area_districts())[:2]
    monkeypatch.setattr(geocode, "_six_districts", lambda: codes)
    # Two irregular neighbours sharing a zig-zag edge, inside the force area's box.
    zig = [(0.0 + 0.02 * i, 52.30 + (0.01 if i % 2 else -0.01)) for i in range(11)]
    north = [(0.0, 52.45)] + zig + [(0.2, 52.45), (0.0, 52.45)]
    south = [(0.0, 52.15)] + zig + [(0.2, 52.15), (0.0, 52.15)]
    con = duckdb.connect()
    load_spatial(con)
    h3cells.register(con)
    con.execute("CREATE TABLE boundaries (level VARCHAR, code VARCHAR, name VARCHAR, geometry GEOMETRY, "
                "source VARCHAR, load_id BIGINT)")
    for code, ring in zip(codes, (north, south)):
        con.execute("INSERT INTO boundaries VALUES ('district', ?, ?, ST_GeomFromGeoJSON(?), 'test', 1)",
                    [code, code, json.dumps({"type": "Polygon", "coordinates": [ring]})])
    rng = np.random.default_rng(7)
    n = 20_000
    lat = np.concatenate([rng.uniform(52.14, 52.46, n // 2),
                          np.interp(rng.uniform(0, 0.2, n // 2), [p[0] for p in zig], [p[1] for p in zig])
                          + rng.normal(0, 2e-5, n // 2)])        # half of them within metres of the shared edge
    lon = np.concatenate([rng.uniform(-0.01, 0.21, n // 2), rng.uniform(0, 0.2, n // 2)])
    con.execute("CREATE TABLE pts AS SELECT unnest(?::DOUBLE[]) AS lat, unnest(?::DOUBLE[]) AS lon",
                [lat.tolist(), lon.tolist()])
    con.execute("""CREATE TABLE t AS SELECT row_number() OVER () AS id, NULL::VARCHAR AS postcode, lat, lon,
                   'coordinates' AS geocode_status, NULL::VARCHAR AS location_flag, NULL::VARCHAR AS district_code,
                   NULL::VARCHAR AS lsoa_code FROM pts""")
    con.execute("CREATE TABLE postcodes (postcode VARCHAR, lat DOUBLE, lon DOUBLE, district_code VARCHAR, lsoa_code VARCHAR)")
    h3cells.set_cells(con, "t")
    geocode.flag_and_assign(con, "t")
    got = dict(con.execute("SELECT id, district_code FROM t").fetchall())
    want = dict(con.execute("""
        SELECT t.id, any_value(b.code) FROM t LEFT JOIN boundaries b ON ST_Contains(b.geometry, ST_Point(t.lon, t.lat))
        GROUP BY t.id""").fetchall())
    assert got == want
    interior = con.execute("SELECT count(*) FROM interior_district").fetchone()[0]
    assert interior > 100                    # most points were placed by the lookup
    assert sum(v is not None for v in got.values()) > n * 0.8


def _square_boundaries(con, code: str, size: float, load_id: int = 1) -> None:
    ring = [(0.0, 52.2), (size, 52.2), (size, 52.2 + size), (0.0, 52.2 + size), (0.0, 52.2)]
    con.execute("DELETE FROM boundaries")
    con.execute("INSERT INTO boundaries VALUES ('district', ?, ?, ST_GeomFromGeoJSON(?), 'test', ?)",
                [code, code, json.dumps({"type": "Polygon", "coordinates": [ring]}), load_id])


def test_interior_cells_are_kept_in_the_warehouse_and_remade_when_the_boundaries_change(monkeypatch, tmp_path):
    """Each `etl load` is a new process: the cells inside the boundaries are read from the warehouse, not made
    again (3 of a 7 s load with the real LSOAs), and a boundary that changed makes them afresh."""
    code = list(vocab.area_districts())[0]
    monkeypatch.setattr(geocode, "_six_districts", lambda: [code])
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_spatial(con)
    con.execute("CREATE TABLE boundaries (level VARCHAR, code VARCHAR, name VARCHAR, geometry GEOMETRY, "
                "source VARCHAR, load_id BIGINT)")
    _square_boundaries(con, code, 0.05)
    made = []
    real = geocode._cells_inside
    monkeypatch.setattr(geocode, "_cells_inside", lambda *a: made.append(1) or real(*a))

    first = con.execute(f"SELECT * FROM {geocode._interior_cells(con, 'district', [code])}").fetchall()
    geocode._INTERIOR.clear()                                    # as a new process starts
    again = con.execute(f"SELECT * FROM {geocode._interior_cells(con, 'district', [code])}").fetchall()
    assert len(made) == 1 and sorted(again) == sorted(first) and len(first) > 50

    _square_boundaries(con, code, 0.02, load_id=2)               # a boundaries load replaced it
    geocode._INTERIOR.clear()
    smaller = con.execute(f"SELECT * FROM {geocode._interior_cells(con, 'district', [code])}").fetchall()
    assert len(made) == 2 and 0 < len(smaller) < len(first)
    assert con.execute(f"SELECT count(DISTINCT identity) FROM {geocode.CELLS_TABLE}").fetchone()[0] == 1
