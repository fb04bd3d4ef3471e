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
