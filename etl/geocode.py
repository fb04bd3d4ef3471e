"""Set-wise geocoding and district assignment, in DuckDB.

Order: coordinates in the file, then the full postcode, then the centroid of the
postcode's outward code (approximate), else not geocoded. A point outside the six
districts, or one whose latitude and longitude look swapped, is flagged and never gets a
district; it is never moved.

Every function works on any table with the columns postcode, lat, lon, geocode_status,
location_flag, district_code and lsoa_code, so the same code geocodes a fresh load and
re-geocodes stored rows when postcodes or boundaries arrive later.
"""
from __future__ import annotations

import duckdb

from etl import h3cells, vocab

# Statuses that came from a lookup, and so may improve when a better lookup is loaded.
LOOKUP_STATUSES = ("postcode", "postcode_district", "not_geocoded")


def _six_districts() -> list[str]:
    return list(vocab.area_districts())


def has_boundaries(con: duckdb.DuckDBPyConnection, level: str) -> bool:
    return con.execute("SELECT count(*) > 0 FROM boundaries WHERE level = ?", [level]).fetchone()[0]


def lookup_postcodes(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Fill lat/lon for rows without file coordinates, by postcode then outward code."""
    con.execute(f"""
        UPDATE {table} AS t SET lat = p.lat, lon = p.lon, geocode_status = 'postcode'
        FROM postcodes p
        WHERE t.geocode_status IS NULL AND t.postcode = p.postcode
    """)
    con.execute(f"""
        UPDATE {table} AS t SET lat = o.lat, lon = o.lon, geocode_status = 'postcode_district'
        FROM (SELECT split_part(postcode, ' ', 1) AS outward, avg(lat) AS lat, avg(lon) AS lon
              FROM postcodes GROUP BY 1) o
        WHERE t.geocode_status IS NULL AND outward_code(coalesce(t.postcode, t._outward)) = o.outward
    """)
    con.execute(f"UPDATE {table} SET geocode_status = 'not_geocoded', lat = NULL, lon = NULL "
                f"WHERE geocode_status IS NULL")


def flag_and_assign(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Flag suspect points, then give districts (and LSOAs) to the rest."""
    six = _six_districts()
    bbox = vocab.load("area")["bbox"]
    con.execute(f"UPDATE {table} SET location_flag = NULL, district_code = NULL, lsoa_code = NULL")
    # Swapped: a latitude that would be a longitude here, and the other way round.
    con.execute(f"""
        UPDATE {table} SET location_flag = 'swapped_lat_lon'
        WHERE lat IS NOT NULL AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?
    """, [bbox["min_lon"] - 0.5, bbox["max_lon"] + 0.5, bbox["min_lat"] - 0.5, bbox["max_lat"] + 0.5])
    if has_boundaries(con, "district"):
        con.execute(f"""
            UPDATE {table} AS t SET district_code = b.code
            FROM boundaries b
            WHERE b.level = 'district' AND list_contains(?, b.code)
              AND t.lat IS NOT NULL AND t.location_flag IS NULL
              AND ST_Contains(b.geometry, ST_Point(t.lon, t.lat))
        """, [six])
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
        con.execute(f"""
            UPDATE {table} AS t SET district_code = p.district_code
            FROM postcodes p
            WHERE t.postcode = p.postcode AND t.location_flag IS NULL AND list_contains(?, p.district_code)
        """, [six])
    if has_boundaries(con, "lsoa"):
        con.execute(f"""
            UPDATE {table} AS t SET lsoa_code = b.code
            FROM boundaries b
            WHERE b.level = 'lsoa' AND t.district_code IS NOT NULL
              AND ST_Contains(b.geometry, ST_Point(t.lon, t.lat))
        """)
    else:
        con.execute(f"""
            UPDATE {table} AS t SET lsoa_code = p.lsoa_code
            FROM postcodes p
            WHERE t.postcode = p.postcode AND t.district_code IS NOT NULL AND t.geocode_status = 'postcode'
        """)


def geocode(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Geocode a staged load: rows with file coordinates already carry geocode_status 'coordinates'."""
    lookup_postcodes(con, table)
    flag_and_assign(con, table)
    h3cells.set_cells(con, table)


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
            con.execute(f"UPDATE regeo SET geocode_status = NULL, lat = NULL, lon = NULL "
                        f"WHERE list_contains(?, geocode_status)", [list(LOOKUP_STATUSES)])
            lookup_postcodes(con, "regeo")
        flag_and_assign(con, "regeo")
        h3cells.set_cells(con, "regeo")
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
