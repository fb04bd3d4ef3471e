"""Set-wise geocoding and district assignment, in DuckDB.

Order: coordinates in the file, then the full postcode, then the centroid of the
postcode's outward code (approximate: of its loaded full postcodes, else the centre a list of
postcode districts gave), else not geocoded. A coarse position (a grid reference's square,
or degrees, easting and northing rounded to a km or more: etl/vocab/locations.toml [coarse])
gives way to the row's full postcode, whenever a lookup has it. A point outside the six
districts, or one whose latitude and longitude look swapped, is flagged and never gets a
district; it is never moved. (A file whose rows nearly all look swapped has its two columns read the other way
round before any of this: etl/loaders/swapped_columns.py.)

Every function works on any table with the columns postcode, lat, lon, geocode_status,
location_flag, district_code and lsoa_code, so the same code geocodes a fresh load and
re-geocodes stored rows when postcodes or boundaries arrive later.
"""
from __future__ import annotations

import hashlib

import duckdb
import h3

from etl import address_matches, h3cells, vocab
from etl.ordered_update import update_from

# Statuses that came from a lookup, and so may improve when a better lookup is loaded.
LOOKUP_STATUSES = ("postcode", "postcode_district", "not_geocoded")
# A coarse position (a grid reference's square of 1 km or more, or degrees or metres rounded as much): kept as
# written until the row's full postcode is in the lookup.
GRID_SQUARE = "grid_square"


def _six_districts() -> list[str]:
    return list(vocab.area_districts())


def has_boundaries(con: duckdb.DuckDBPyConnection, level: str) -> bool:
    return con.execute("SELECT count(*) > 0 FROM boundaries WHERE level = ?", [level]).fetchone()[0]


# An outward code's centre: the mean of its loaded full postcodes, else the centre a list of postcode districts gave
# (a row of `postcodes` keyed by the outward code alone, 'CB1'). Full postcodes win: they are the lookup an analyst
# keeps current, and a district list is the fallback for districts it lacks.
DISTRICT_CENTRES = """
    SELECT outward, lat, lon FROM (
        SELECT split_part(postcode, ' ', 1) AS outward, contains(postcode, ' ') AS is_full,
               avg(lat) AS lat, avg(lon) AS lon
        FROM postcodes GROUP BY ALL)
    QUALIFY row_number() OVER (PARTITION BY outward ORDER BY is_full DESC) = 1"""


def lookup_postcodes(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Fill lat/lon for rows without file coordinates, by postcode then outward code. A row at a coarse grid
    square's centre takes its full postcode's point too, the more precise of the two, but never an outward
    code's: the square is the better guess."""
    update_from(con, table, {"lat": "p.lat", "lon": "p.lon", "geocode_status": "'postcode'"}, "postcodes p",
                f"(t.geocode_status IS NULL OR t.geocode_status = '{GRID_SQUARE}') AND t.postcode = p.postcode")
    update_from(con, table, {"lat": "o.lat", "lon": "o.lon", "geocode_status": "'postcode_district'"},
                f"({DISTRICT_CENTRES}) o",
                "t.geocode_status IS NULL AND outward_code(coalesce(t.postcode, t._outward)) = o.outward")
    con.execute(f"UPDATE {table} SET geocode_status = 'not_geocoded', lat = NULL, lon = NULL "
                f"WHERE geocode_status IS NULL")


# A point in an H3 cell lying wholly inside a boundary is inside that boundary; the test buffers the
# cell's outline by this much (degrees, ~1 m), so the cell's slightly curved true edges are covered.
CELL_MARGIN_DEGREES = 1e-5
_INTERIOR: dict[str, "object"] = {}     # boundaries identity → pyarrow table (h3_9, code); small
# The cells are kept in the warehouse too, by the identity of the boundaries they were made from: each
# `python -m etl load` is a new process, and making them took 3.0 s of a 6.7 s load of a police.uk month with
# the ONS districts and 487 LSOAs loaded. A cache, not a record: it is remade whenever it is missing or stale.
CELLS_TABLE = "boundary_interior_cells"


def _interior_cells(con: duckdb.DuckDBPyConnection, level: str, codes: list[str] | None) -> str:
    """A temp table of the res-9 cells lying wholly inside one boundary of `level` (h3_9, code); its name.

    Points in those cells get that boundary by a hash join on their stored h3_9; only points in
    cells that straddle an edge need the point-in-polygon test. Cached per set of boundaries.
    """
    import pyarrow as pa

    where = "level = ?" + (" AND list_contains(?, code)" if codes is not None else "")
    params = [level] + ([codes] if codes is not None else [])
    identity = hashlib.sha256(repr((level, tuple(codes or ()), con.execute(
        f"SELECT code, load_id, ST_NPoints(geometry), ST_Area(geometry) FROM boundaries WHERE {where} ORDER BY code",
        params).fetchall())).encode()).hexdigest()
    if identity not in _INTERIOR:
        con.execute(f"CREATE TABLE IF NOT EXISTS {CELLS_TABLE} (identity VARCHAR, level VARCHAR, h3_9 UBIGINT, "
                    "code VARCHAR)")
        kept = con.execute(f"SELECT h3_9, code FROM {CELLS_TABLE} WHERE identity = ?", [identity]).to_arrow_table()
        if not kept.num_rows:
            cells, owners = _cells_inside(con, where, params)
            kept = pa.table({"h3_9": pa.array(cells, type=pa.uint64()), "code": pa.array(owners, type=pa.string())})
            con.execute(f"DELETE FROM {CELLS_TABLE} WHERE level = ?", [level])
            con.register("_interior", kept)
            con.execute(f"INSERT INTO {CELLS_TABLE} SELECT ?, ?, h3_9, code FROM _interior", [identity, level])
            con.unregister("_interior")
        if len(_INTERIOR) > 8:
            _INTERIOR.clear()
        _INTERIOR[identity] = kept
    name = f"interior_{level}"
    con.register("_interior", _INTERIOR[identity])
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT h3_9, code FROM _interior")
    con.unregister("_interior")
    return name


def _cells_inside(con: duckdb.DuckDBPyConnection, where: str, params: list) -> tuple[list[int], list[str]]:
    """Each boundary's res-9 cells whose outline, slightly buffered, it contains: (cells, their boundary's code)."""
    import shapely

    rows = con.execute(f"SELECT code, ST_AsWKB(geometry) FROM boundaries WHERE {where} ORDER BY code",
                       params).fetchall()
    cells, owners = [], []
    for code, wkb in rows:
        shape = shapely.from_wkb(bytes(wkb))
        shapely.prepare(shape)
        parts = getattr(shape, "geoms", [shape])
        candidates = set()
        for part in parts:
            candidates |= set(h3.h3shape_to_cells_experimental(h3.geo_to_h3shape(shapely.geometry.mapping(part)),
                                                               h3cells.FINEST, contain="overlap"))
        candidates = sorted(candidates)
        outlines = shapely.polygons([[(lng, lat) for lat, lng in h3.cell_to_boundary(c)] for c in candidates]) \
            if candidates else []
        inside = shapely.contains(shape, shapely.buffer(outlines, CELL_MARGIN_DEGREES)) if candidates else []
        for cell, ok in zip(candidates, inside):
            if ok:
                cells.append(h3.str_to_int(cell))
                owners.append(code)
    return cells, owners


# How far past the area's box (etl/vocab/area.toml [bbox]) a point read the other way round still counts as swapped.
SWAPPED_MARGIN_DEGREES = 0.5


def swapped_degrees_box() -> list[float]:
    """[min, max] of a latitude that would be a longitude here, then of a longitude that would be a latitude: a
    point whose latitude and longitude fall so is flagged swapped_lat_lon, and a file of them read the other way
    round (etl/loaders/swapped_columns.py), so the two always agree."""
    bbox, m = vocab.load("area")["bbox"], SWAPPED_MARGIN_DEGREES
    return [bbox["min_lon"] - m, bbox["max_lon"] + m, bbox["min_lat"] - m, bbox["max_lat"] + m]


def swapped_metres_box(con: duckdb.DuckDBPyConnection) -> list[float]:
    """`swapped_degrees_box` for British National Grid columns: [min, max] of an easting that would be a northing
    here, then of a northing that would be an easting. The area's box, with the same margin, in metres (its
    corners transformed): a plain comparison per row, where transforming every row of a big file would not be."""
    bbox, m = vocab.load("area")["bbox"], SWAPPED_MARGIN_DEGREES
    lo_lon, hi_lon, lo_lat, hi_lat = bbox["min_lon"] - m, bbox["max_lon"] + m, bbox["min_lat"] - m, bbox["max_lat"] + m
    e_lo, e_hi, n_lo, n_hi = con.execute("""
        SELECT min(ST_X(p)), max(ST_X(p)), min(ST_Y(p)), max(ST_Y(p)) FROM (
            SELECT ST_Transform(ST_Point(x, y), 'EPSG:4326', 'EPSG:27700', always_xy := true) AS p
            FROM (VALUES (?, ?), (?, ?), (?, ?), (?, ?)) v(x, y))""",
                                         [lo_lon, lo_lat, lo_lon, hi_lat, hi_lon, lo_lat, hi_lon, hi_lat]).fetchone()
    return [n_lo, n_hi, e_lo, e_hi]


def flag_and_assign(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Flag suspect points, then give districts (and LSOAs) to the rest. Needs the rows' h3_9 (set_cells)."""
    six = _six_districts()
    bbox = vocab.load("area")["bbox"]
    con.execute(f"UPDATE {table} SET location_flag = NULL, district_code = NULL, lsoa_code = NULL")
    # Swapped: a latitude that would be a longitude here, and the other way round.
    con.execute(f"""
        UPDATE {table} SET location_flag = 'swapped_lat_lon'
        WHERE lat IS NOT NULL AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?
    """, swapped_degrees_box())
    _flag_swapped_easting_northing(con, table, bbox)
    if has_boundaries(con, "district"):
        interior = _interior_cells(con, "district", six)
        update_from(con, table, {"district_code": "d.code"}, f"{interior} d",
                    "t.h3_9 = d.h3_9 AND t.lat IS NOT NULL AND t.location_flag IS NULL")
        update_from(con, table, {"district_code": "b.code"}, "boundaries b",
                    """b.level = 'district' AND list_contains(?, b.code)
                       AND t.lat IS NOT NULL AND t.location_flag IS NULL AND t.district_code IS NULL
                       AND ST_Contains(b.geometry, ST_Point(t.lon, t.lat))""", [six])
        con.execute(f"""
            UPDATE {table} SET location_flag = 'outside_area'
            WHERE lat IS NOT NULL AND location_flag IS NULL AND district_code IS NULL
        """)
    else:
        con.execute(f"""
            UPDATE {table} SET location_flag = 'outside_area'
            WHERE lat IS NOT NULL AND location_flag IS NULL
              AND NOT (lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?)
        """, [bbox["min_lon"], bbox["max_lon"], bbox["min_lat"], bbox["max_lat"]])
        update_from(con, table, {"district_code": "p.district_code"}, "postcodes p",
                    "t.postcode = p.postcode AND t.location_flag IS NULL AND list_contains(?, p.district_code)",
                    [six])
    if has_boundaries(con, "lsoa"):
        interior = _interior_cells(con, "lsoa", None)
        update_from(con, table, {"lsoa_code": "d.code"}, f"{interior} d",
                    "t.h3_9 = d.h3_9 AND t.district_code IS NOT NULL")
        update_from(con, table, {"lsoa_code": "b.code"}, "boundaries b",
                    """b.level = 'lsoa' AND t.district_code IS NOT NULL AND t.lsoa_code IS NULL
                       AND ST_Contains(b.geometry, ST_Point(t.lon, t.lat))""")
    else:
        update_from(con, table, {"lsoa_code": "p.lsoa_code"}, "postcodes p",
                    "t.postcode = p.postcode AND t.district_code IS NOT NULL AND t.geocode_status = 'postcode'")


def _flag_swapped_easting_northing(con: duckdb.DuckDBPyConnection, table: str, bbox: dict) -> None:
    """A point outside the area whose easting and northing, read the other way round, fall inside it.

    Easting 308000, northing 546000 is a hillside in Cumbria; 546000, 308000 is Wisbech. Both pairs are
    valid grid references, so only where they land tells them apart. Like swapped latitudes, the point
    is flagged and never moved: the analyst fixes the file. Only the few points outside the box are
    transformed back to the grid.
    """
    box = [bbox["min_lon"], bbox["max_lon"], bbox["min_lat"], bbox["max_lat"]]
    con.execute(f"""
        UPDATE {table} AS t SET location_flag = 'swapped_easting_northing'
        FROM (SELECT lat, lon, ST_Transform(ST_Point(ST_Y(grid), ST_X(grid)), 'EPSG:27700', 'EPSG:4326',
                                            always_xy := true) AS other_way
              FROM (SELECT DISTINCT lat, lon,
                           ST_Transform(ST_Point(lon, lat), 'EPSG:4326', 'EPSG:27700', always_xy := true) AS grid
                    FROM {table}
                    WHERE lat IS NOT NULL AND location_flag IS NULL
                      AND NOT (lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?))) s
        WHERE t.lat = s.lat AND t.lon = s.lon AND t.location_flag IS NULL
          AND ST_X(s.other_way) BETWEEN ? AND ? AND ST_Y(s.other_way) BETWEEN ? AND ?
    """, [*box, *box])


def why_not_geocoded(con: duckdb.DuckDBPyConnection, table: str, *, show_values: bool = True,
                     remove: str = "python -m etl remove KIND SOURCE") -> list[str]:
    """Why a load's rows have no location, one sentence per cause, each saying what would place them.

    "3,208 not geocoded" alone leaves an analyst guessing: a register from outside the postcode file's
    areas, no postcode file loaded yet, and postcode columns holding "N/A" all read the same. Cases
    pass `show_values=False`: a victim's postcode never reaches a load summary.
    """
    causes = con.execute(f"""
        WITH unplaced AS (
            SELECT coalesce(postcode, _outward) AS value,
                   CASE WHEN coalesce(postcode, _outward) IS NULL THEN 'none'
                        WHEN outward_code(coalesce(postcode, _outward)) IS NULL THEN 'not_a_postcode'
                        ELSE 'not_in_lookup' END AS cause
            FROM {table} WHERE geocode_status = 'not_geocoded'),
        per_value AS (SELECT cause, value, count(*) AS n FROM unplaced GROUP BY ALL)
        SELECT cause, sum(n)::BIGINT, list(value ORDER BY n DESC, value)[1:4], count(*)::BIGINT,
               list(DISTINCT regexp_extract(outward_code(value), '^[A-Z]+') ORDER BY 1)[1:6]
        FROM per_value GROUP BY cause ORDER BY cause
    """).fetchall()
    have_postcodes = con.execute("SELECT count(*) > 0 FROM postcodes").fetchone()[0]
    out = []
    for cause, n, values, distinct, areas in causes:
        shown = ", ".join(repr(v) for v in values) + (" …" if distinct > len(values) else "")
        if cause == "none":
            out.append(f"{n:,} row(s) have neither a postcode nor coordinates (0, 0 counts as none): "
                       "stored without a location, "
                       "so no map or district count includes them")
        elif cause == "not_a_postcode":
            out.append(f"{n:,} row(s) have a postcode that is not a UK postcode"
                       + (f" ({shown})" if show_values else "") + ": stored without a location")
        elif not have_postcodes:
            out.append(f"{n:,} row(s) have no location because no postcodes are loaded: load a postcode file "
                       "(python -m etl load postcodes FILE) and they are geocoded then")
        else:
            out.append(_not_in_lookup(con, n, shown, [a for a in areas if a], show_values, remove))
    return out


def _not_in_lookup(con: duckdb.DuckDBPyConnection, n: int, shown: str, areas: list[str], show_values: bool,
                   remove: str) -> str:
    """Postcodes the lookup lacks. Where none of their areas is in the lookup at all (OX, for a lookup of CB
    and PE), the likelier cause is a file from another force's area, not a missing lookup: say both. Not for
    victim cases (`show_values` false): where a victim's postcode is not is still about the victim."""
    covered = {a for (a,) in con.execute("SELECT DISTINCT regexp_extract(postcode, '^[A-Z]+') FROM postcodes "
                                         "WHERE regexp_extract(postcode, '^[A-Z]+') IN (SELECT unnest(?))",
                                         [areas]).fetchall()}
    where = f" ({shown}; postcode areas {', '.join(areas)})" if show_values else ""
    if areas and not covered and show_values:
        held = [a for (a,) in con.execute("SELECT DISTINCT regexp_extract(postcode, '^[A-Z]+') AS a FROM postcodes "
                                          "ORDER BY a LIMIT 8").fetchall()]
        return (f"{n:,} row(s) have postcodes in areas the loaded postcode lookup does not cover at all{where}; "
                f"it covers {', '.join(held)}: if the file is from outside the force area, it does not belong "
                f"here (`{remove}` takes a wrongly loaded source out); if not, load a "
                "postcode file that covers them and they are geocoded then")
    return (f"{n:,} row(s) have postcodes the loaded postcode lookup does not hold{where}: "
            "load a postcode file that covers them and they are geocoded then")


def placed_approximately(con: duckdb.DuckDBPyConnection, table: str, *, show_values: bool = True) -> str | None:
    """Rows placed at the centre of their postcode's outward code (PE13: a whole town's area), said so:
    such a point is no door, and an analyst may have a better postcode file for them."""
    n, values, distinct = con.execute(f"""
        SELECT sum(n)::BIGINT, list(value ORDER BY n DESC, value)[1:4], count(*)::BIGINT FROM (
            SELECT coalesce(postcode, _outward) AS value, count(*) AS n FROM {table}
            WHERE geocode_status = 'postcode_district' GROUP BY ALL)
    """).fetchone()
    if not n:
        return None
    shown = (" (" + ", ".join(repr(v) for v in values) + (" …" if distinct > len(values) else "") + ")") \
        if show_values else ""
    return (f"{n:,} row(s) placed approximately, at the centre of their postcode's outward code{shown}: the full "
            "postcode is not in the loaded lookup, or only the outward code was given")


FAR_FROM_POSTCODE_KM = 5   # a file's point this far from its own postcode's: one of the two is wrong


def far_from_postcode(con: duckdb.DuckDBPyConnection, table: str, *, show_values: bool = True) -> str | None:
    """Rows whose coordinates lie far from their own postcode's point, said so: a Wisbech postcode with a
    Cambridge point lands in the wrong district, and nothing else would tell. The point is kept (it may be
    the better of the two: a postcode is often the landlord's or the caller's). A point flagged swapped is left
    out: its own warning says what is wrong, and "7,635 km from its postcode" only hid it."""
    n, examples = con.execute(f"""
        SELECT count(*), list([row_number::VARCHAR, postcode, round(km)::BIGINT::VARCHAR] ORDER BY row_number)[1:3]
        FROM (SELECT t.row_number, t.postcode,
                     {address_matches.metres_sql("t.lat", "t.lon", "p.lat", "p.lon")} / 1000 AS km
              FROM {table} t JOIN postcodes p ON p.postcode = t.postcode
              WHERE t.geocode_status = 'coordinates'
                AND coalesce(t.location_flag, '') NOT IN ('swapped_lat_lon', 'swapped_easting_northing'))
        WHERE km > ?
    """, [FAR_FROM_POSTCODE_KM]).fetchone()
    if not n:
        return None
    listed = "; ".join(f"row {r}: {pc!r}, {km} km" for r, pc, km in examples) + (" …" if n > 3 else "")
    shown = f" ({listed})" if show_values else ""
    return (f"{n:,} row(s) give a point more than {FAR_FROM_POSTCODE_KM} km from their own postcode's{shown}: one of "
            "the two is wrong; the point is used")


def geocode(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Geocode a staged load: rows with file coordinates already carry geocode_status 'coordinates'."""
    lookup_postcodes(con, table)
    h3cells.set_cells(con, table)
    flag_and_assign(con, table)


def regeocode_stored(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """After new postcodes or boundaries: improve lookups and reassign districts on stored rows.

    Cases keep no postcode (it would help re-identify a victim), so only their districts move.
    """
    changed = {}
    tables = [("hmo_licence_history", "ended_load_id IS NULL"), ("reports", "TRUE")]
    if has_boundaries(con, "district"):
        # Without boundaries a case's district came from its postcode at load time, and that is gone.
        tables.append(("cases", "TRUE"))
    for table, key in tables:
        has_postcode = table != "cases"
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE regeo AS
            SELECT rowid AS _rid, {'postcode' if has_postcode else 'NULL::VARCHAR AS postcode'},
                   NULL::VARCHAR AS _outward, lat, lon, geocode_status, location_flag, district_code, lsoa_code,
                   lat AS _old_lat, lon AS _old_lon, district_code AS _old_district, lsoa_code AS _old_lsoa
            FROM {table} WHERE {key}
        """)
        if has_postcode:
            con.execute("UPDATE regeo SET geocode_status = NULL, lat = NULL, lon = NULL "
                        "WHERE list_contains(?, geocode_status)", [list(LOOKUP_STATUSES)])
            lookup_postcodes(con, "regeo")
        h3cells.set_cells(con, "regeo")
        flag_and_assign(con, "regeo")
        changed[table] = con.execute("""
            SELECT count(*) FROM regeo
            WHERE _old_lat IS DISTINCT FROM lat OR _old_lon IS DISTINCT FROM lon
               OR _old_district IS DISTINCT FROM district_code OR _old_lsoa IS DISTINCT FROM lsoa_code
        """).fetchone()[0]
        con.execute(f"""
            UPDATE {table} AS t SET lat = r.lat, lon = r.lon, geocode_status = r.geocode_status,
                   location_flag = r.location_flag, district_code = r.district_code, lsoa_code = r.lsoa_code,
                   h3_7 = r.h3_7, h3_8 = r.h3_8, h3_9 = r.h3_9
            FROM regeo r WHERE t.rowid = r._rid
        """)
    con.execute("DROP TABLE IF EXISTS regeo")
    return changed
