"""A big load computes each distinct value once (dates, postcodes, coordinates, categories, places) and
joins the answers back. Every row must get what the row-by-row computation gives it: the same point,
geocode status, flag, district and H3 cells, on files where places both repeat and differ."""
from __future__ import annotations

import csv
import random

import duckdb
import h3

from bench.etl_speed import write_boundaries
from etl import geocode
from etl.demo import generate
from etl.loading import load_file, prepare
from etl.warehouse import load_spatial
from tests.helpers import TODAY

GEO = ["lat", "lon", "geocode_status", "location_flag", "district_code", "lsoa_code", "h3_7", "h3_8", "h3_9"]


def _warehouse(tmp_path):
    files = generate(tmp_path / "demo", seed=42, scale=1, today=TODAY)
    postcodes = next(f.path for f in files if f.kind == "postcodes")
    db = tmp_path / "w.duckdb"
    load_file("boundaries", write_boundaries(tmp_path / "districts.geojson"), db=db, source="Rectangles")
    load_file("postcodes", postcodes, db=db, source="Lookup")
    with open(postcodes, newline="") as fh:
        lookup = [(r["postcode"], float(r["latitude"]), float(r["longitude"])) for r in csv.DictReader(fh)]
    return db, lookup


def _files(tmp_path, lookup):
    """A lat/lon file and an easting/northing file: repeated points, distinct points, postcodes only, odd cases."""
    rng = random.Random(3)
    wgs, bng = [], []
    repeated = [(pc, round(la, 5), round(lo, 5)) for pc, la, lo in lookup[:5]]
    for i in range(600):
        pc, la, lo = rng.choice(lookup)
        kind = i % 8
        if kind == 0:                                        # the same few points, many times
            pc, la, lo = rng.choice(repeated)
        elif kind == 1:                                      # a distinct point near a postcode
            la, lo = la + rng.uniform(-0.003, 0.003), lo + rng.uniform(-0.003, 0.003)
        elif kind == 2:                                      # postcode only, full or lower case without a space
            la = lo = None
            pc = rng.choice([pc, pc.lower().replace(" ", "")])
        elif kind == 3:                                      # outward code only, or an unknown postcode
            la = lo = None
            pc = rng.choice([pc.split()[0], pc.split()[0] + " 9ZZ"])
        elif kind == 4:                                      # swapped, or outside the area
            la, lo = rng.choice([(lo, la), (51.5, -0.12)])
        elif kind == 5:                                      # nothing to place it by
            pc, la, lo = "", None, None
        wgs.append([f"W{i}", "2025-03-01", f"{i % 40} Mill Lane", pc, "" if la is None else la, "" if lo is None else lo])
    for i in range(300):
        e, n = rng.choice([(520000, 300000), (545123, 265432), (530601, 181453)]) if i % 3 == 0 else \
            (rng.randint(500000, 560000), rng.randint(240000, 320000))
        bng.append([f"B{i}", "2025-03-01", f"{i % 40} Mill Lane", rng.choice(lookup)[0], e, n])
    paths = []
    for name, header, rows in (("wgs.csv", ["Latitude", "Longitude"], wgs), ("bng.csv", ["Easting", "Northing"], bng)):
        path = tmp_path / name
        with open(path, "w", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(["Report Ref", "Date Received", "Address", "Postcode", *header])
            out.writerows(rows)
        paths.append(path)
    return paths


def test_per_place_geocoding_gives_each_row_the_per_row_answer(tmp_path):
    db, lookup = _warehouse(tmp_path)
    wgs, bng = _files(tmp_path, lookup)
    for path in (wgs, bng):
        assert load_file("reports", path, db=db, source=path.stem).rows_rejected == 0
    con = duckdb.connect(str(db))
    load_spatial(con)
    prepare(con)
    # Row by row: the stored postcode and file coordinates through the shared geocoding steps, one row each.
    con.execute("""
        CREATE TEMP TABLE t AS
        SELECT source, report_ref, postcode, NULL::VARCHAR AS _outward,
               CASE WHEN geocode_status = 'coordinates' THEN lat END AS lat,
               CASE WHEN geocode_status = 'coordinates' THEN lon END AS lon,
               CASE WHEN geocode_status = 'coordinates' THEN 'coordinates' END AS geocode_status,
               NULL::VARCHAR AS location_flag, NULL::VARCHAR AS district_code, NULL::VARCHAR AS lsoa_code
        FROM reports
    """)
    geocode.geocode(con, "t")
    differ = con.execute(f"""
        SELECT r.report_ref FROM reports r JOIN t USING (source, report_ref)
        WHERE row({", ".join(f"r.{c}" for c in GEO)}) IS DISTINCT FROM row({", ".join(f"t.{c}" for c in GEO)})
    """).fetchall()
    assert differ == []
    assert con.execute("SELECT count(*) FROM reports").fetchone()[0] == con.execute("SELECT count(*) FROM t").fetchone()[0]
    # The file's own coordinates, transformed row by row, are what the rows keep; but 520000, 300000, rounded to
    # the km, gives way to the row's postcode (all of this file's are in the lookup), as rounded degrees do.
    moved, rounded, by_postcode = con.execute("""
        SELECT count(*) FILTER (WHERE NOT rounded AND (
                   r.lat IS DISTINCT FROM ST_Y(ST_Transform(ST_Point(f.Easting::DOUBLE, f.Northing::DOUBLE),
                                                            'EPSG:27700', 'EPSG:4326', always_xy := true))
                   OR r.lon IS DISTINCT FROM ST_X(ST_Transform(ST_Point(f.Easting::DOUBLE, f.Northing::DOUBLE),
                                                               'EPSG:27700', 'EPSG:4326', always_xy := true)))),
               count(*) FILTER (WHERE rounded), count(*) FILTER (WHERE rounded AND r.geocode_status = 'postcode')
        FROM reports r JOIN (SELECT *, Easting::DOUBLE % 1000 = 0 AND Northing::DOUBLE % 1000 = 0 AS rounded
                             FROM read_csv(?, all_varchar = true)) f ON f."Report Ref" = r.report_ref
    """, [str(bng)]).fetchone()
    assert moved == 0 and rounded > 0 and by_postcode == rounded
    # ... and each stored cell is h3-py's for the stored point.
    for lat, lon, c7, c9 in con.execute("SELECT lat, lon, h3_7, h3_9 FROM reports").fetchall():
        if lat is None:
            assert (c7, c9) == (None, None)
        else:
            assert (c7, c9) == (h3.api.basic_int.latlng_to_cell(lat, lon, 7), h3.api.basic_int.latlng_to_cell(lat, lon, 9))
    # The file exercised what it should: every status, flags, districts, and repeated places.
    statuses = dict(con.execute("SELECT geocode_status, count(*) FROM reports GROUP BY 1").fetchall())
    assert set(statuses) == {"coordinates", "postcode", "postcode_district", "not_geocoded"}
    flags = {f for (f,) in con.execute("SELECT DISTINCT location_flag FROM reports").fetchall()}
    assert {"swapped_lat_lon", "outside_area"} <= flags
    assert con.execute("SELECT count(DISTINCT district_code) FROM reports").fetchone()[0] >= 3
    repeats = con.execute("SELECT count(*) FROM (SELECT lat, lon FROM reports WHERE geocode_status = 'coordinates' "
                          "GROUP BY ALL HAVING count(*) > 5)").fetchone()[0]
    assert repeats >= 5
    con.close()
