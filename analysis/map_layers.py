"""The hotspot map's layers: report hexagons, HMO markers, report points, case hexagons, districts.

Every layer honours the shared `Filters`. Points that the ETL flagged (`outside_area`,
`swapped_lat_lon`, `swapped_easting_northing`) are left off every layer: their position is known to be wrong or outside
the force area, and the data-health page lists them. Approximate points (`postcode_district`)
are kept, so a hexagon count never silently drops a report that has a position.

Victim cases are shown as hexagon counts of at least `privacy.min_cases` (settings.toml). Only
roles the dashboard allows (analysts and admins: the page checks before it asks) may also see
them as points (`case_points`). No function here ever returns a case key.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Callable

import h3
import pandas as pd

from analysis import addresses, hexes, report_index, settings, unlicensed_brief
from analysis.cell_detail import CellDetail, cell_detail as _cell_detail
from analysis.filters import Filters, cases_where, licences_where, reports_where

MARKER_COLUMNS = ["licence_ref", "address", "postcode", "lat", "lon", "status", "licence_expiry",
                  "max_occupants", "source"]
PLACED = addresses.USABLE_POINT

CASE_POINT_COLUMNS = ["lat", "lon", "opened_on", "exploitation_type"]

__all__ = ["CellDetail", "MarkerLayer", "report_hexes", "report_hexes_by_resolution", "reports_off_the_map", "hmo_markers",
           "hmo_marker_layer",
           "report_points", "case_hexes", "case_points", "district_geojson", "cell_detail", "marker_detail"]
# When markers are capped, the most urgent are kept: possibly unlicensed, expired, expiring, current
# (each status's `priority` in licence_statuses.toml).
MARKER_PRIORITY = settings.marker_priority()
# Within a status: licences by source and reference; possible unlicensed HMOs newest report first
# (the address id breaks ties, so the choice is the same on every run).
UNLICENSED_ORDER = "{a}.last_report DESC, {a}.addr_id"
# Markers beyond the cap are counted per H3 cell of this resolution (stored: 7, 8, 9; and in the reports' copy).
REST_RESOLUTION = report_index.CELL_RESOLUTION


@dataclass
class MarkerLayer:
    """The map's HMO markers, bounded: `markers` (MARKER_COLUMNS, at most `limit`, the most urgent first,
    as `hmo_markers` orders them within a status), `total` markers in the view, and `rest`: those not
    drawn, counted per res-7 H3 cell (h3, lat, lon of the cell centre, markers)."""
    markers: pd.DataFrame
    total: int
    rest: pd.DataFrame


def report_hexes(con, f: Filters, resolution: int = 8) -> pd.DataFrame:
    """Reports per H3 cell: h3, reports, lat, lon (cell centre), boundary ([lat, lon] pairs).

    Each placed report is counted in exactly one cell, so the cells sum to the reports on the map.
    """
    where, params = reports_where(f, "r")
    return hexes.counts_by_cell(con, "reports", "r", f"{where} AND {PLACED.format(a='r')}", params, resolution,
                                "reports")


def report_hexes_by_resolution(con, f: Filters, resolutions: tuple[int, ...] = (7, 8, 9)) -> dict[int, pd.DataFrame]:
    """`report_hexes` at each of `resolutions` (resolution → frame), from one pass over the reports.

    The map's "follows the zoom" draws three sizes: counting them together reads the reports once.
    """
    where, params = reports_where(f, "r")
    return hexes.counts_by_cells(con, "reports", "r", f"{where} AND {PLACED.format(a='r')}", params, resolutions,
                                 "reports")


def reports_off_the_map(con, f: Filters) -> dict[str, int]:
    """The reports in the filters that no map layer draws: `no_position` (nothing placed them) and `flagged`
    (placed, but outside the force area or with coordinates that look swapped: the Data page lists them).
    With the hexagons' count they make the Overview's count of reports. `with_postcode`: the part of `no_position`
    that has a postcode, which a postcode lookup would place (the map says so when none is loaded)."""
    where, params = reports_where(f, "r")
    no_position, flagged, with_postcode = con.execute(f"""
        SELECT count(*) FILTER (WHERE r.lat IS NULL OR r.lon IS NULL),
               count(*) FILTER (WHERE r.lat IS NOT NULL AND r.lon IS NOT NULL AND r.location_flag IS NOT NULL),
               count(*) FILTER (WHERE (r.lat IS NULL OR r.lon IS NULL) AND nullif(trim(r.postcode), '') IS NOT NULL)
        FROM reports r WHERE {where}
    """, params).fetchone()
    return {"no_position": int(no_position), "flagged": int(flagged), "with_postcode": int(with_postcode)}


def case_hexes(con, f: Filters, resolution: int = 7, min_cases: int = 3) -> pd.DataFrame:
    """Victim cases per H3 cell: h3, cases, lat, lon, boundary; cells below the threshold are dropped.

    The threshold is `min_cases`, raised to the privacy floor in settings.toml if lower: a
    cell holding one or two cases could point at a person. No case key or point leaves here.
    """
    threshold = settings.min_cases(min_cases)
    where, params = cases_where(f, "c")
    cells = hexes.counts_by_cell(con, "cases", "c", f"{where} AND {PLACED.format(a='c')}", params, resolution, "cases")
    return cells[cells["cases"] >= threshold].reset_index(drop=True)


def case_points(con, f: Filters) -> pd.DataFrame:
    """Placed victim cases, newest first, one row each: lat, lon, opened_on, exploitation_type.

    Exact positions of potential victims, so the dashboard asks only for roles allowed to see them
    (auth.FEATURE_ROLES). Deliberately nothing else: no case key, nationality or age, which with a
    position could single a person out.
    """
    where, params = cases_where(f, "c")
    return con.execute(f"""
        SELECT c.lat, c.lon, c.opened_on, c.exploitation_type FROM cases c
        WHERE {where} AND {PLACED.format(a='c')}
        ORDER BY c.opened_on DESC, c.lat, c.lon
    """, params).df()[CASE_POINT_COLUMNS]


def hmo_markers(con, f: Filters, today: dt.date) -> pd.DataFrame:
    """HMO licences and possible unlicensed HMOs, one marker each (only those with a usable point).

    status: 'current', 'expiring' (expiry within settings' expiring_days of `today`), 'expired',
    or 'possible_unlicensed': an address in reports (filter dates and districts) with
    people_count >= min_people or a crowding indicator, matching no licence; its licence_ref,
    licence_expiry and max_occupants are NULL and `source` names the report sources.

    Licences come first, by source and reference; then possible unlicensed HMOs, newest report first.
    """
    return _markers(con, f, today)


def _markers(con, f: Filters, today: dt.date, bbox: tuple[float, float, float, float] | None = None) -> pd.DataFrame:
    """`hmo_markers`, optionally only inside (min_lat, max_lat, min_lon, max_lon)."""
    box_sql, box_params = ("TRUE", [])
    if bbox:
        box_sql, box_params = "lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?", list(bbox)
    lic_where, lic_params = licences_where(f, "h")
    status_sql, status_params = addresses.licence_status("h", today)
    licensed = con.execute(f"""
        SELECT * FROM (
            SELECT h.licence_ref, h.address, h.postcode, h.lat, h.lon, {status_sql} AS status,
                   h.licence_expiry, h.max_occupants, h.source
            FROM hmo_licences h
            WHERE {lic_where} AND {PLACED.format(a='h')}
        ) WHERE {box_sql}
        ORDER BY source, licence_ref
    """, [*status_params, *lic_params, *box_params]).df()
    pu_sql, pu_params = addresses.possible_unlicensed(con, f)
    unlicensed = con.execute(f"""
        SELECT * FROM (
            SELECT CAST(NULL AS VARCHAR) AS licence_ref, address, postcode, pos.lat AS lat, pos.lon AS lon,
                   'possible_unlicensed' AS status, CAST(NULL AS DATE) AS licence_expiry,
                   CAST(NULL AS INTEGER) AS max_occupants, source, last_report, addr_id
            FROM ({pu_sql}) WHERE pos IS NOT NULL
        ) u WHERE {box_sql}
        ORDER BY {UNLICENSED_ORDER.format(a="u")}
    """, [*pu_params, *box_params]).df()
    frames = [df for df in (licensed, unlicensed) if not df.empty]
    if not frames:
        return licensed[MARKER_COLUMNS]
    out = pd.concat(frames, ignore_index=True)[MARKER_COLUMNS]
    out["max_occupants"] = out["max_occupants"].astype("Int64")
    return out


_UNLICENSED_BRIEF = "marker_unlicensed_brief"   # temp: each possible unlicensed HMO's newest report and best point


def hmo_marker_layer(con, f: Filters, today: dt.date, limit: int = 5000) -> MarkerLayer:
    """`hmo_markers` for the map, capped in DuckDB: the `limit` most urgent markers, and the rest counted
    per res-7 cell, so a national register never leaves the database row by row.

    Counting comes first, from fixed-width facts only (a licence's expiry and cell; a possible unlicensed
    HMO's newest report and best point): it says how many markers of each status are drawn. Words
    (addresses, references, sources) are then read only for those, and a status with none drawn is only
    counted. At national scale the possible unlicensed HMOs alone fill the cap, so no licence is read
    beyond its expiry and cell."""
    rest_cell = f"h3_{REST_RESOLUTION}"
    lic_where, lic_params = licences_where(f, "h")
    status_sql, status_params = addresses.licence_status("h", today)
    licences = (f"(SELECT h.*, {status_sql} AS status, h.{rest_cell} AS cell FROM hmo_licences h "
                f"WHERE {lic_where} AND {PLACED.format(a='h')})")
    licence_params = [*status_params, *lic_params]
    try:
        unlicensed, draw_unlicensed = _possible_unlicensed(con, f)
        counts = con.execute(f"SELECT status, cell, count(*) AS markers FROM {licences} GROUP BY ALL",
                             licence_params).df()
        if len(unlicensed):
            counts = pd.concat([counts, unlicensed.assign(status="possible_unlicensed")[counts.columns]],
                               ignore_index=True)
        take = _drawn_per_status(counts.groupby("status")["markers"].sum(), limit)
        frames = [draw_unlicensed(n) if status == "possible_unlicensed"
                  else _licence_markers(con, licences, licence_params, status, n)
                  for status, n in take.items() if n]
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_UNLICENSED_BRIEF}")
    drawn = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*MARKER_COLUMNS, "cell"])
    markers = drawn[MARKER_COLUMNS].copy()
    markers["max_occupants"] = markers["max_occupants"].astype("Int64")
    per_cell = counts[counts["cell"].notna()].groupby("cell")["markers"].sum().astype("int64")
    per_cell.index = per_cell.index.astype("uint64")
    drawn_per_cell = drawn["cell"].dropna().astype("uint64").value_counts()
    left = per_cell.sub(drawn_per_cell.reindex(per_cell.index, fill_value=0))
    left = left[left > 0]
    rest = hexes.cell_geometry(hexes.to_strings(pd.Series(left.index, dtype="uint64")))[["h3", "lat", "lon"]]
    rest["markers"] = left.to_numpy(dtype="int64")
    rest = rest.sort_values("h3").reset_index(drop=True)
    return MarkerLayer(markers=markers, total=len(markers) + int(rest["markers"].sum()), rest=rest)


def _drawn_per_status(totals: pd.Series, limit: int) -> dict[str, int]:
    """How many markers of each status are drawn: the most urgent statuses first (MARKER_PRIORITY, then
    any other), each in full until `limit` is reached."""
    order = [s for s in MARKER_PRIORITY if s in totals.index] + sorted(s for s in totals.index
                                                                       if s not in MARKER_PRIORITY)
    take, left = {}, int(limit)
    for status in order:
        take[status] = min(left, int(totals[status]))
        left -= take[status]
    return take


def _possible_unlicensed(con, f: Filters) -> tuple[pd.DataFrame, Callable[[int], pd.DataFrame]]:
    """The possible unlicensed HMOs counted per cell (cell, markers), and how to draw the first n of them
    (UNLICENSED_ORDER: MARKER_COLUMNS and cell). From the in-memory copy of the reports when the
    connection has one (analysis/unlicensed_brief.py), else in SQL through the temp table
    _UNLICENSED_BRIEF, which the caller drops."""
    index = report_index.for_connection(con)
    if index is not None:
        rows = index.in_scope(addresses.scope(f))
        found = unlicensed_brief.brief(index, addresses.indicator_bits(con), rows)
        return (found.groupby("cell").size().rename("markers").reset_index(),
                lambda n: unlicensed_brief.markers(con, index, f, rows, found, n))
    _brief_unlicensed(con, f)
    counts = con.execute(f"SELECT cell, count(*) AS markers FROM {_UNLICENSED_BRIEF} GROUP BY ALL").df()
    return counts, lambda n: _unlicensed_markers(con, f, n)


def _brief_unlicensed(con, f: Filters) -> None:
    """Temp table of the possible unlicensed HMOs with a usable point: addr_id, last_report, cell (the best
    point's, at REST_RESOLUTION). Made once: counting and drawing both read it. The point itself is
    found only for those drawn (`addresses.unlicensed_text`), with the same choice of report."""
    ctes, params = addresses.unlicensed_ctes(con, f)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {_UNLICENSED_BRIEF} AS
        WITH {ctes}
        SELECT * FROM (
            SELECT ra.addr_id, max(ra.received_on) AS last_report,
                   {addresses.best_cell('ra', f'h3_{REST_RESOLUTION}')} AS cell
            FROM rep ra SEMI JOIN unlicensed u ON ra.addr_id = u.addr_id
            GROUP BY ra.addr_id
        ) WHERE cell IS NOT NULL
    """, params)


def _unlicensed_markers(con, f: Filters, n: int) -> pd.DataFrame:
    """The first `n` possible unlicensed HMOs (UNLICENSED_ORDER), with their words: MARKER_COLUMNS and cell."""
    cte, params = addresses.report_addresses(addresses.scope(f))
    return con.execute(f"""
        WITH {cte},
        drawn AS (SELECT * FROM {_UNLICENSED_BRIEF} b ORDER BY {UNLICENSED_ORDER.format(a="b")} LIMIT ?),
        words AS ({addresses.unlicensed_text("SELECT addr_id FROM drawn")})
        SELECT NULL::VARCHAR AS licence_ref, w.address, w.postcode, w.pos.lat AS lat, w.pos.lon AS lon,
               'possible_unlicensed' AS status, NULL::DATE AS licence_expiry, NULL::INTEGER AS max_occupants,
               w.source, d.cell
        FROM drawn d LEFT JOIN words w ON w.addr_id = d.addr_id
        ORDER BY {UNLICENSED_ORDER.format(a="d")}
    """, [*params, int(n)]).df()


def _licence_markers(con, licences: str, params: list, status: str, n: int) -> pd.DataFrame:
    """The first `n` licences of `status`, by source and reference: MARKER_COLUMNS and cell."""
    return con.execute(f"""
        SELECT licence_ref, address, postcode, lat, lon, status, licence_expiry, max_occupants, source, cell
        FROM {licences} WHERE status = ?
        ORDER BY source, licence_ref LIMIT ?
    """, [*params, status, int(n)]).df()


def report_points(con, f: Filters, limit: int | None = None) -> pd.DataFrame:
    """Placed reports, newest first: report_ref, received_on, address, postcode, lat, lon, grading,
    indicators (a Python list of codes from indicators.toml), exploitation_type, source_type, summary.

    One row per report, the newest `limit` when given: callers showing many points should cluster
    them or use `report_hexes` (whose counts sum to every placed report)."""
    where, params = reports_where(f, "r")
    df = con.execute(f"""
        SELECT r.report_ref, r.received_on, r.address, r.postcode, r.lat, r.lon, r.grading,
               coalesce(r.indicators, []) AS indicators, r.exploitation_type, r.source_type, r.summary
        FROM reports r
        WHERE {where} AND {PLACED.format(a='r')}
        ORDER BY r.received_on DESC, r.source, r.report_ref
        {"LIMIT ?" if limit is not None else ""}
    """, [*params, *([int(limit)] if limit is not None else [])]).df()
    df["indicators"] = pd.Series([list(x) for x in df["indicators"]], index=df.index, dtype=object)
    return df


def district_geojson(con) -> dict | None:
    """District outlines as a GeoJSON FeatureCollection (properties code, name), simplified and
    rounded so the page stays light; None when no district boundaries are loaded."""
    m = settings.section("map")
    rows = con.execute("""
        SELECT code, name, ST_AsGeoJSON(ST_SimplifyPreserveTopology(geometry, ?)) AS geom
        FROM boundaries WHERE level = ? ORDER BY code
    """, [float(m["simplify_degrees"]), "district"]).fetchall()
    if not rows:
        return None
    places = int(m["coordinate_decimals"])
    features = [{"type": "Feature", "properties": {"code": code, "name": name},
                 "geometry": _round(json.loads(geom), places)} for code, name, geom in rows if geom]
    return {"type": "FeatureCollection", "features": features}


def _round(geometry: dict, places: int) -> dict:
    def walk(c):
        return round(c, places) if isinstance(c, (int, float)) else [walk(x) for x in c]
    out = dict(geometry)
    if "coordinates" in out:
        out["coordinates"] = walk(out["coordinates"])
    if "geometries" in out:
        out["geometries"] = [_round(g, places) for g in out["geometries"]]
    return out


def cell_detail(con, f: Filters, h3_cell: str, today: dt.date | None = None) -> CellDetail:
    """What lies in one H3 cell (any resolution): indicators, newest reports, licences, nationalities.

    `today` sets licence status; it defaults to the real today.
    """
    return _cell_detail(con, f, h3_cell, today or dt.date.today(), markers=_markers)


def marker_detail(con, f: Filters, lat: float, lon: float, today: dt.date) -> CellDetail:
    """`cell_detail` for the small cell (settings: map.marker_resolution) around a clicked marker."""
    cell = h3.latlng_to_cell(float(lat), float(lon), int(settings.section("map")["marker_resolution"]))
    return cell_detail(con, f, cell, today)
